"""per-source feed accounting

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-28 13:35:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from datafeeds.models import UTCDateTime

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'feed_sources',
        sa.Column('source', sa.String(length=64), nullable=False),
        sa.Column('last_seq', sa.BigInteger(), nullable=True),
        sa.Column('gaps', sa.BigInteger(), nullable=False),
        sa.Column('gap_ranges', sa.JSON(), nullable=False),
        sa.Column('last_seen_at', UTCDateTime(timezone=True), nullable=True),
        sa.Column('interval_s', sa.Float(), nullable=False),
        sa.Column('restarts', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('source'),
    )


def downgrade() -> None:
    op.drop_table('feed_sources')
