"""keys of cases' parties (hashed ID numbers and phones), address and village-category indexes: related cases

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-03 12:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from datafeeds.partykeys import key_rows

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None

CHUNK = 5000


def upgrade() -> None:
    op.create_table(
        'case_party_keys',
        sa.Column('case_id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=8), nullable=False),
        sa.Column('key', sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(['case_id'], ['cases.id']),
        sa.PrimaryKeyConstraint('case_id', 'kind', 'key'),
    )
    op.create_index('ix_case_party_keys_key', 'case_party_keys', ['key', 'case_id'])
    op.create_index('ix_cases_address_registered', 'cases', ['address', 'registered_at'])
    op.create_index('ix_cases_village_category_registered', 'cases', ['village_code', 'category', 'registered_at'])
    _fill()


def _fill() -> None:
    """Key the parties of the cases already stored, a chunk of cases at a time (by id, so memory stays flat).

    With the ingest's own `key_rows`, so old and new cases meet: a change to how keys are made must re-key
    every case in a migration of its own.
    """
    conn = op.get_bind()
    cases = sa.table('cases', sa.column('id', sa.Integer), sa.column('parties', sa.JSON))
    keys = sa.table('case_party_keys', sa.column('case_id', sa.Integer), sa.column('kind', sa.String),
                    sa.column('key', sa.String))
    last = 0
    while True:
        rows = conn.execute(sa.select(cases.c.id, cases.c.parties).where(cases.c.id > last)
                            .order_by(cases.c.id).limit(CHUNK)).all()
        if not rows:
            return
        found = [k for case_id, parties in rows for k in key_rows(case_id, parties)]
        if found:
            conn.execute(sa.insert(keys), found)
        last = rows[-1][0]


def downgrade() -> None:
    op.drop_index('ix_cases_village_category_registered', table_name='cases')
    op.drop_index('ix_cases_address_registered', table_name='cases')
    op.drop_index('ix_case_party_keys_key', table_name='case_party_keys')
    op.drop_table('case_party_keys')
