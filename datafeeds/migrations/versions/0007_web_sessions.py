"""web sessions of signed-in users and walls

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02 10:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from datafeeds.models import UTCDateTime

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'web_sessions',
        sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
        sa.Column('secret_hash', sa.String(length=64), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=True),
        sa.Column('token_id', sa.Integer(), nullable=True),
        sa.Column('created_at', UTCDateTime(timezone=True), nullable=False),
        sa.Column('last_seen_at', UTCDateTime(timezone=True), nullable=False),
        sa.Column('expires_at', UTCDateTime(timezone=True), nullable=True),
        sa.Column('source_ip', sa.String(length=64), nullable=True),
        sa.Column('user_agent', sa.String(length=200), nullable=True),
        sa.CheckConstraint('(user_id IS NULL) <> (token_id IS NULL)', name='ck_web_sessions_owner'),
        sa.ForeignKeyConstraint(['token_id'], ['display_tokens.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('secret_hash'),
    )
    op.create_index('ix_web_sessions_token_id', 'web_sessions', ['token_id'])
    op.create_index('ix_web_sessions_user_id', 'web_sessions', ['user_id'])


def downgrade() -> None:
    op.drop_index('ix_web_sessions_user_id', table_name='web_sessions')
    op.drop_index('ix_web_sessions_token_id', table_name='web_sessions')
    op.drop_table('web_sessions')
