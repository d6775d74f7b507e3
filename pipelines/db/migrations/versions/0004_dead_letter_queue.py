"""dead letter queue

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-24 08:54:51.740518
"""

import sqlalchemy as sa
from alembic import op

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('failed_jobs',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('run_id', sa.String(length=64), nullable=False),
    sa.Column('job_name', sa.String(length=128), nullable=False),
    sa.Column('partition_key', sa.String(length=64), nullable=True),
    sa.Column('tags', sa.Text(), nullable=False),
    sa.Column('error_class', sa.String(length=255), nullable=True),
    sa.Column('error_message', sa.Text(), nullable=True),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('first_failure_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_failure_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('retry_run_id', sa.String(length=64), nullable=True),
    sa.Column('discard_reason', sa.Text(), nullable=True),
    sa.Column('alerted', sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_failed_jobs')),
    sa.UniqueConstraint('run_id', name=op.f('uq_failed_jobs_run_id'))
    )


def downgrade() -> None:
    op.drop_table('failed_jobs')
