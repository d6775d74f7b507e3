"""matching, scoring and delivery logs

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-24 08:34:45.457016
"""

import sqlalchemy as sa
from alembic import op

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('email_logs',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('tenant_id', sa.Integer(), nullable=True),
    sa.Column('notification_id', sa.Integer(), nullable=True),
    sa.Column('to_address', sa.Text(), nullable=False),
    sa.Column('template', sa.String(length=40), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('provider_message_id', sa.Text(), nullable=True),
    sa.Column('attempt', sa.Integer(), nullable=False),
    sa.Column('error', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_email_logs'))
    )
    with op.batch_alter_table('email_logs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_email_logs_created_at'), ['created_at'], unique=False)

    op.create_table('lead_events',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('lead_id', sa.Integer(), nullable=False),
    sa.Column('event', sa.String(length=10), nullable=False),
    sa.Column('occurred_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_lead_events'))
    )
    with op.batch_alter_table('lead_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_lead_events_lead_id_event'), ['lead_id', 'event'], unique=False)

    op.create_table('lead_scores',
    sa.Column('lead_id', sa.Integer(), nullable=False),
    sa.Column('scored_on', sa.Date(), nullable=False),
    sa.Column('score', sa.Float(), nullable=False),
    sa.Column('base_score', sa.Integer(), nullable=False),
    sa.Column('age_days', sa.Integer(), nullable=False),
    sa.Column('freshness_decay', sa.Integer(), nullable=False),
    sa.Column('equity_ratio', sa.Float(), nullable=True),
    sa.Column('equity_bonus', sa.Integer(), nullable=False),
    sa.Column('engagement_bonus', sa.Integer(), nullable=False),
    sa.Column('absentee_bonus', sa.Integer(), nullable=False),
    sa.Column('scored_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('lead_id', name=op.f('pk_lead_scores'))
    )
    op.create_table('record_matches',
    sa.Column('file_type', sa.String(length=40), nullable=False),
    sa.Column('partition_key', sa.String(length=10), nullable=False),
    sa.Column('source_file', sa.String(length=255), nullable=False),
    sa.Column('line_no', sa.Integer(), nullable=False),
    sa.Column('record_key', sa.String(length=64), nullable=False),
    sa.Column('folio', sa.String(length=13), nullable=True),
    sa.Column('method', sa.String(length=12), nullable=True),
    sa.Column('confidence', sa.Float(), nullable=True),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('file_type', 'partition_key', 'source_file', 'line_no', name=op.f('pk_record_matches'))
    )
    with op.batch_alter_table('record_matches', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_record_matches_file_type_status'), ['file_type', 'status'], unique=False)

    op.create_table('staged_evictions',
    sa.Column('partition_key', sa.String(length=10), nullable=False),
    sa.Column('source_file', sa.String(length=255), nullable=False),
    sa.Column('line_no', sa.Integer(), nullable=False),
    sa.Column('source_sha256', sa.String(length=64), nullable=False),
    sa.Column('case_number', sa.Text(), nullable=True),
    sa.Column('filing_date', sa.Date(), nullable=True),
    sa.Column('plaintiff', sa.Text(), nullable=True),
    sa.Column('defendant', sa.Text(), nullable=True),
    sa.Column('property_address', sa.Text(), nullable=True),
    sa.Column('unit', sa.Text(), nullable=True),
    sa.Column('city', sa.Text(), nullable=True),
    sa.Column('zip', sa.Text(), nullable=True),
    sa.Column('status', sa.Text(), nullable=True),
    sa.Column('judgment_date', sa.Date(), nullable=True),
    sa.Column('amount', sa.Numeric(precision=14, scale=2), nullable=True),
    sa.Column('address_key', sa.Text(), nullable=True),
    sa.Column('unit_key', sa.String(length=20), nullable=True),
    sa.Column('owner_key', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('partition_key', 'source_file', 'line_no', name=op.f('pk_staged_evictions'))
    )
    op.create_table('staged_indebtedness',
    sa.Column('partition_key', sa.String(length=10), nullable=False),
    sa.Column('source_file', sa.String(length=255), nullable=False),
    sa.Column('line_no', sa.Integer(), nullable=False),
    sa.Column('source_sha256', sa.String(length=64), nullable=False),
    sa.Column('cfn', sa.Text(), nullable=True),
    sa.Column('recorded_date', sa.Date(), nullable=True),
    sa.Column('doc_type', sa.Text(), nullable=True),
    sa.Column('debtor_name', sa.Text(), nullable=True),
    sa.Column('debtor_address', sa.Text(), nullable=True),
    sa.Column('city', sa.Text(), nullable=True),
    sa.Column('zip', sa.Text(), nullable=True),
    sa.Column('creditor_name', sa.Text(), nullable=True),
    sa.Column('amount', sa.Numeric(precision=14, scale=2), nullable=True),
    sa.Column('address_key', sa.Text(), nullable=True),
    sa.Column('unit_key', sa.String(length=20), nullable=True),
    sa.Column('owner_key', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('partition_key', 'source_file', 'line_no', name=op.f('pk_staged_indebtedness'))
    )
    op.create_table('staged_probate',
    sa.Column('partition_key', sa.String(length=10), nullable=False),
    sa.Column('source_file', sa.String(length=255), nullable=False),
    sa.Column('line_no', sa.Integer(), nullable=False),
    sa.Column('source_sha256', sa.String(length=64), nullable=False),
    sa.Column('case_number', sa.Text(), nullable=True),
    sa.Column('filing_date', sa.Date(), nullable=True),
    sa.Column('decedent_name', sa.Text(), nullable=True),
    sa.Column('date_of_death', sa.Date(), nullable=True),
    sa.Column('decedent_address', sa.Text(), nullable=True),
    sa.Column('city', sa.Text(), nullable=True),
    sa.Column('zip', sa.Text(), nullable=True),
    sa.Column('petitioner_name', sa.Text(), nullable=True),
    sa.Column('petitioner_address', sa.Text(), nullable=True),
    sa.Column('address_key', sa.Text(), nullable=True),
    sa.Column('unit_key', sa.String(length=20), nullable=True),
    sa.Column('owner_key', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('partition_key', 'source_file', 'line_no', name=op.f('pk_staged_probate'))
    )
    op.create_table('staged_verdicts',
    sa.Column('partition_key', sa.String(length=10), nullable=False),
    sa.Column('source_file', sa.String(length=255), nullable=False),
    sa.Column('line_no', sa.Integer(), nullable=False),
    sa.Column('source_sha256', sa.String(length=64), nullable=False),
    sa.Column('case_number', sa.Text(), nullable=True),
    sa.Column('verdict_date', sa.Date(), nullable=True),
    sa.Column('plaintiff', sa.Text(), nullable=True),
    sa.Column('defendant', sa.Text(), nullable=True),
    sa.Column('defendant_address', sa.Text(), nullable=True),
    sa.Column('city', sa.Text(), nullable=True),
    sa.Column('zip', sa.Text(), nullable=True),
    sa.Column('amount', sa.Numeric(precision=14, scale=2), nullable=True),
    sa.Column('address_key', sa.Text(), nullable=True),
    sa.Column('unit_key', sa.String(length=20), nullable=True),
    sa.Column('owner_key', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('partition_key', 'source_file', 'line_no', name=op.f('pk_staged_verdicts'))
    )
    with op.batch_alter_table('properties', schema=None) as batch_op:
        batch_op.add_column(sa.Column('address_key', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('unit_key', sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column('owner_key', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('owner_mailing_state', sa.String(length=2), nullable=True))

    with op.batch_alter_table('staged_official_records', schema=None) as batch_op:
        batch_op.add_column(sa.Column('address_key', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('unit_key', sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column('grantee_key', sa.Text(), nullable=True))



def downgrade() -> None:
    with op.batch_alter_table('staged_official_records', schema=None) as batch_op:
        batch_op.drop_column('grantee_key')
        batch_op.drop_column('unit_key')
        batch_op.drop_column('address_key')

    with op.batch_alter_table('properties', schema=None) as batch_op:
        batch_op.drop_column('owner_mailing_state')
        batch_op.drop_column('owner_key')
        batch_op.drop_column('unit_key')
        batch_op.drop_column('address_key')

    op.drop_table('staged_verdicts')
    op.drop_table('staged_probate')
    op.drop_table('staged_indebtedness')
    op.drop_table('staged_evictions')
    with op.batch_alter_table('record_matches', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_record_matches_file_type_status'))

    op.drop_table('record_matches')
    op.drop_table('lead_scores')
    with op.batch_alter_table('lead_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_lead_events_lead_id_event'))

    op.drop_table('lead_events')
    with op.batch_alter_table('email_logs', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_email_logs_created_at'))

    op.drop_table('email_logs')
