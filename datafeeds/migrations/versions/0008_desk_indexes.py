"""indexes for the desk's filters (each with registration time, newest first)

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02 12:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None

COMPOSITE = {
    'ix_cases_township_registered': ['township_code', 'registered_at'],
    'ix_cases_village_registered': ['village_code', 'registered_at'],
    'ix_cases_category_registered': ['category', 'registered_at'],
    'ix_cases_source_registered': ['source_channel', 'registered_at'],
    'ix_cases_department_registered': ['department_code', 'registered_at'],
    'ix_cases_state_registered': ['state', 'registered_at'],
}


def upgrade() -> None:
    for name, columns in COMPOSITE.items():
        op.create_index(name, 'cases', columns)
    op.create_index('ix_cases_supervised', 'cases', ['registered_at'],
                    sqlite_where=sa.text("supervision != 'none'"), postgresql_where=sa.text("supervision != 'none'"))
    # The composite indexes lead with these columns: the single-column ones only cost writes now.
    op.drop_index('ix_cases_category', table_name='cases')
    op.drop_index('ix_cases_township_code', table_name='cases')


def downgrade() -> None:
    op.create_index('ix_cases_township_code', 'cases', ['township_code'])
    op.create_index('ix_cases_category', 'cases', ['category'])
    op.drop_index('ix_cases_supervised', table_name='cases')
    for name in reversed(COMPOSITE):
        op.drop_index(name, table_name='cases')
