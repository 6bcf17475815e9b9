"""an index for the desk's free-text search (case number, title, address)

The desk finds a case by any part of its number, title or address: `LIKE '%…%'`, which no B-tree serves, so a
rare word scanned every case (5 s at a million). SQLite gets an FTS5 table with the trigram tokenizer, kept by
triggers (the ingest never rewrites these three columns, so only new cases cost an index write); PostgreSQL
gets pg_trgm GIN indexes on the three columns. Both serve needles of three characters or more; shorter ones
still scan (deskqueries.TEXT_INDEX_MIN).

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02 14:00:00
"""

from __future__ import annotations

from alembic import op

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None

PG_INDEXES = {'ix_cases_case_no_trgm': 'case_no', 'ix_cases_title_trgm': 'title', 'ix_cases_address_trgm': 'address'}


def upgrade() -> None:
    if op.get_bind().dialect.name == 'postgresql':
        op.execute('CREATE EXTENSION IF NOT EXISTS pg_trgm')
        for name, column in PG_INDEXES.items():
            op.execute(f'CREATE INDEX {name} ON cases USING gin ({column} gin_trgm_ops)')
        return
    op.execute("CREATE VIRTUAL TABLE cases_text USING fts5(case_no, title, address, content='cases', "
               "content_rowid='id', tokenize='trigram')")
    op.execute('CREATE TRIGGER cases_text_insert AFTER INSERT ON cases BEGIN '
               'INSERT INTO cases_text(rowid, case_no, title, address) '
               'VALUES (new.id, new.case_no, new.title, new.address); END')
    op.execute('CREATE TRIGGER cases_text_delete AFTER DELETE ON cases BEGIN '
               "INSERT INTO cases_text(cases_text, rowid, case_no, title, address) "
               "VALUES ('delete', old.id, old.case_no, old.title, old.address); END")
    op.execute('CREATE TRIGGER cases_text_update AFTER UPDATE OF case_no, title, address ON cases BEGIN '
               "INSERT INTO cases_text(cases_text, rowid, case_no, title, address) "
               "VALUES ('delete', old.id, old.case_no, old.title, old.address); "
               'INSERT INTO cases_text(rowid, case_no, title, address) '
               'VALUES (new.id, new.case_no, new.title, new.address); END')
    op.execute("INSERT INTO cases_text(cases_text) VALUES ('rebuild')")


def downgrade() -> None:
    if op.get_bind().dialect.name == 'postgresql':
        for name in PG_INDEXES:
            op.execute(f'DROP INDEX IF EXISTS {name}')
        return
    for trigger in ('cases_text_insert', 'cases_text_delete', 'cases_text_update'):
        op.execute(f'DROP TRIGGER IF EXISTS {trigger}')
    op.execute('DROP TABLE IF EXISTS cases_text')
