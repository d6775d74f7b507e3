"""queue metrics

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-24 08:58:29.762896
"""

import sqlalchemy as sa
from alembic import op

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('queue_metrics',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('job_name', sa.String(length=128), nullable=False),
    sa.Column('queued', sa.Integer(), nullable=False),
    sa.Column('in_progress', sa.Integer(), nullable=False),
    sa.Column('succeeded_1h', sa.Integer(), nullable=False),
    sa.Column('failed_1h', sa.Integer(), nullable=False),
    sa.Column('failed_rate_1h', sa.Float(), nullable=True),
    sa.Column('p50_seconds_1h', sa.Float(), nullable=True),
    sa.Column('p95_seconds_1h', sa.Float(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_queue_metrics'))
    )
    with op.batch_alter_table('queue_metrics', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_queue_metrics_recorded_at'), ['recorded_at'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('queue_metrics', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_queue_metrics_recorded_at'))

    op.drop_table('queue_metrics')
