"""an index of cases by resolution time, for the desk's resolved-on filter

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-02 15:00:00
"""

from __future__ import annotations

from alembic import op

revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index('ix_cases_resolved_at', 'cases', ['resolved_at'])


def downgrade() -> None:
    op.drop_index('ix_cases_resolved_at', table_name='cases')
