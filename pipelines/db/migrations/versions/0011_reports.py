"""reports and report requests

Revision ID: 0011
Revises: 0010
"""

import sqlalchemy as sa
from alembic import op

revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'report_requests',
        sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
        sa.Column('tenant_id', sa.Integer(), nullable=False),
        sa.Column('subscriber_id', sa.Integer(), nullable=True),
        sa.Column('kind', sa.String(length=20), nullable=False),
        sa.Column('format', sa.String(length=4), nullable=False),
        sa.Column('params', sa.Text(), nullable=False),
        sa.Column('state', sa.String(length=10), nullable=False),
        sa.Column('progress', sa.Integer(), nullable=False),
        sa.Column('attempts', sa.Integer(), nullable=False),
        sa.Column('report_id', sa.Integer(), nullable=True),
        sa.Column('error', sa.Text(), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_report_requests')),
    )
    op.create_index(op.f('ix_report_requests_state_id'), 'report_requests', ['state', 'id'])
    op.create_index(op.f('ix_report_requests_tenant_id_id'), 'report_requests', ['tenant_id', 'id'])
    op.create_table(
        'reports',
        sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
        sa.Column('tenant_id', sa.Integer(), nullable=True),
        sa.Column('kind', sa.String(length=30), nullable=False),
        sa.Column('period', sa.String(length=10), nullable=True),
        sa.Column('format', sa.String(length=4), nullable=False),
        sa.Column('store_key', sa.Text(), nullable=False),
        sa.Column('uri', sa.Text(), nullable=False),
        sa.Column('sha256', sa.String(length=64), nullable=False),
        sa.Column('bytes', sa.BigInteger(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_reports')),
    )
    op.create_index(op.f('ix_reports_kind_period'), 'reports', ['kind', 'period'])


def downgrade() -> None:
    op.drop_index(op.f('ix_reports_kind_period'), table_name='reports')
    op.drop_table('reports')
    op.drop_index(op.f('ix_report_requests_tenant_id_id'), table_name='report_requests')
    op.drop_index(op.f('ix_report_requests_state_id'), table_name='report_requests')
    op.drop_table('report_requests')
