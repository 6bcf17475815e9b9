"""frozen pictures of the wall, for briefings to cite

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-03 10:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from datafeeds.models import UTCDateTime

revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'wall_snapshots',
        sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
        sa.Column('taken_at', UTCDateTime(timezone=True), nullable=False),
        sa.Column('taken_by', sa.String(length=80), nullable=False),
        sa.Column('note', sa.Text(), nullable=False),
        sa.Column('seq', sa.BigInteger(), nullable=False),
        sa.Column('figures', sa.JSON(), nullable=False),
        sa.Column('pins', sa.JSON(), nullable=False),
        sa.Column('panels', sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index(op.f('ix_wall_snapshots_taken_at'), 'wall_snapshots', ['taken_at'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_wall_snapshots_taken_at'), table_name='wall_snapshots')
    op.drop_table('wall_snapshots')
