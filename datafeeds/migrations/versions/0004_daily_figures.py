"""the wall's figures at each day's close (for the change since yesterday)

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-28 13:15:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'daily_figures',
        sa.Column('day', sa.Date(), nullable=False),
        sa.Column('figures', sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint('day'),
    )


def downgrade() -> None:
    op.drop_table('daily_figures')
