"""briefing indexes: assignments by when made, resolved and due; cases by when closed; open cases by registration

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-02 18:40:00
"""

from __future__ import annotations

from alembic import op

revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # The resolution-time index gains the registration time (the desk's resolved-on filter still uses it).
    op.drop_index('ix_cases_resolved_at', table_name='cases')
    op.create_index('ix_cases_resolved_registered', 'cases', ['resolved_at', 'registered_at'])
    op.create_index('ix_assignments_assigned_at', 'assignments', ['assigned_at'])
    op.create_index('ix_assignments_resolved_at', 'assignments', ['resolved_at'])
    op.create_index('ix_assignments_resolve_due', 'assignments', ['resolve_due'])
    op.create_index('ix_cases_closed_at', 'cases', ['closed_at'])
    op.create_index('ix_cases_open_registered', 'cases', ['is_open', 'registered_at'])


def downgrade() -> None:
    op.drop_index('ix_cases_open_registered', table_name='cases')
    op.drop_index('ix_cases_closed_at', table_name='cases')
    op.drop_index('ix_assignments_resolve_due', table_name='assignments')
    op.drop_index('ix_assignments_resolved_at', table_name='assignments')
    op.drop_index('ix_assignments_assigned_at', table_name='assignments')
    op.drop_index('ix_cases_resolved_registered', table_name='cases')
    op.create_index('ix_cases_resolved_at', 'cases', ['resolved_at'])
