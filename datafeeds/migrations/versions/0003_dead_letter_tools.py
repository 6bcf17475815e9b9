"""dead letter tools: bounded raw, replay bookkeeping, feed counters, cases outside the county

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-27 09:00:00.000000
"""

from __future__ import annotations

import hashlib

import sqlalchemy as sa
from alembic import op

import datafeeds.models

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('feed_counters',
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('value', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('name')
    )
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.add_column(sa.Column('outside_county', sa.Boolean(), server_default=sa.false(), nullable=False))

    with op.batch_alter_table('dead_letters', schema=None) as batch_op:
        batch_op.add_column(sa.Column('raw_size', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('raw_sha256', sa.String(length=64), server_default='', nullable=False))
        batch_op.add_column(sa.Column('attempts', sa.Integer(), server_default='1', nullable=False))
        batch_op.add_column(sa.Column('last_seen_at', datafeeds.models.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('replays', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('replayed_at', datafeeds.models.UTCDateTime(timezone=True), nullable=True))
        batch_op.create_index(batch_op.f('ix_dead_letters_raw_sha256'), ['raw_sha256'], unique=False)
        batch_op.create_index(batch_op.f('ix_dead_letters_event_id'), ['event_id'], unique=False)

    # Letters stored before this revision: their length and hash, so a repeat updates them too.
    conn = op.get_bind()
    letters = sa.table('dead_letters', sa.column('id', sa.Integer), sa.column('raw', sa.LargeBinary),
                       sa.column('raw_size', sa.Integer), sa.column('raw_sha256', sa.String))
    rows = conn.execute(sa.select(letters.c.id, letters.c.raw)).all()
    for row_id, raw in rows:
        data = bytes(raw or b'')
        conn.execute(sa.update(letters).where(letters.c.id == row_id)
                     .values(raw_size=len(data), raw_sha256=hashlib.sha256(data).hexdigest()))


def downgrade() -> None:
    with op.batch_alter_table('dead_letters', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_dead_letters_event_id'))
        batch_op.drop_index(batch_op.f('ix_dead_letters_raw_sha256'))
        batch_op.drop_column('replayed_at')
        batch_op.drop_column('replays')
        batch_op.drop_column('last_seen_at')
        batch_op.drop_column('attempts')
        batch_op.drop_column('raw_sha256')
        batch_op.drop_column('raw_size')

    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.drop_column('outside_county')

    op.drop_table('feed_counters')
