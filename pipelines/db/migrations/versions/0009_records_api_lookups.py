"""records API lookups

Revision ID: 0009
Revises: 0008
"""

import sqlalchemy as sa
from alembic import op

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'staged_lookup_records',
        sa.Column('partition_key', sa.String(length=10), nullable=False),
        sa.Column('source_file', sa.String(length=255), nullable=False),
        sa.Column('line_no', sa.Integer(), nullable=False),
        sa.Column('source_sha256', sa.String(length=64), nullable=False),
        sa.Column('cfn_year', sa.BigInteger(), nullable=True),
        sa.Column('cfn_seq', sa.BigInteger(), nullable=True),
        sa.Column('group_id', sa.Text(), nullable=True),
        sa.Column('rec_date', sa.Date(), nullable=True),
        sa.Column('rec_time', sa.Text(), nullable=True),
        sa.Column('rec_book', sa.Text(), nullable=True),
        sa.Column('rec_page', sa.Text(), nullable=True),
        sa.Column('book_type', sa.Text(), nullable=True),
        sa.Column('doc_type', sa.Text(), nullable=True),
        sa.Column('doc_pages', sa.BigInteger(), nullable=True),
        sa.Column('party_seq', sa.BigInteger(), nullable=True),
        sa.Column('party_code', sa.Text(), nullable=True),
        sa.Column('first_party', sa.Text(), nullable=True),
        sa.Column('second_party', sa.Text(), nullable=True),
        sa.Column('firm_indiv', sa.Text(), nullable=True),
        sa.Column('folio', sa.String(length=13), nullable=True),
        sa.Column('legal', sa.Text(), nullable=True),
        sa.Column('subdivision', sa.Text(), nullable=True),
        sa.Column('plat_book', sa.Text(), nullable=True),
        sa.Column('plat_page', sa.Text(), nullable=True),
        sa.Column('block', sa.Text(), nullable=True),
        sa.Column('consideration_1', sa.Numeric(precision=14, scale=2), nullable=True),
        sa.Column('consideration_2', sa.Numeric(precision=14, scale=2), nullable=True),
        sa.Column('deed_doc_tax', sa.Numeric(precision=14, scale=2), nullable=True),
        sa.Column('surtax', sa.Numeric(precision=14, scale=2), nullable=True),
        sa.Column('intangible', sa.Numeric(precision=14, scale=2), nullable=True),
        sa.Column('doc_stamps', sa.Numeric(precision=14, scale=2), nullable=True),
        sa.Column('orig_cfn_year', sa.BigInteger(), nullable=True),
        sa.Column('orig_cfn_seq', sa.BigInteger(), nullable=True),
        sa.Column('link_doc_type', sa.Text(), nullable=True),
        sa.Column('case_num', sa.Text(), nullable=True),
        sa.Column('rerecord_flag', sa.Text(), nullable=True),
        sa.Column('address', sa.Text(), nullable=True),
        sa.Column('city', sa.Text(), nullable=True),
        sa.Column('zip', sa.Text(), nullable=True),
        sa.Column('cfn', sa.String(length=20), nullable=False),
        sa.Column('document_head', sa.Boolean(), nullable=False),
        sa.Column('grantee', sa.Text(), nullable=True),
        sa.Column('address_key', sa.Text(), nullable=True),
        sa.Column('unit_key', sa.String(length=20), nullable=True),
        sa.Column('grantee_key', sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint('partition_key', 'source_file', 'line_no', name=op.f('pk_staged_lookup_records')),
    )
    op.create_table(
        'lookup_requests',
        sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
        sa.Column('tenant_id', sa.Integer(), nullable=False),
        sa.Column('query_kind', sa.String(length=10), nullable=False),
        sa.Column('query_value', sa.String(length=40), nullable=False),
        sa.Column('state', sa.String(length=10), nullable=False),
        sa.Column('units_day', sa.Date(), nullable=True),
        sa.Column('units_reserved', sa.Integer(), nullable=False),
        sa.Column('attempts', sa.Integer(), nullable=False),
        sa.Column('progress', sa.Integer(), nullable=False),
        sa.Column('folio', sa.String(length=13), nullable=True),
        sa.Column('result', sa.Text(), nullable=True),
        sa.Column('error', sa.Text(), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_lookup_requests')),
    )
    op.create_index(op.f('ix_lookup_requests_state_id'), 'lookup_requests', ['state', 'id'])
    op.create_index(op.f('ix_lookup_requests_tenant_id_id'), 'lookup_requests', ['tenant_id', 'id'])
    op.create_table(
        'lookup_unit_days',
        sa.Column('day', sa.Date(), nullable=False),
        sa.Column('reserved', sa.Integer(), nullable=False),
        sa.Column('consumed', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('day', name=op.f('pk_lookup_unit_days')),
    )
    op.create_table(
        'records_api_log',
        sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
        sa.Column('request_id', sa.Integer(), nullable=True),
        sa.Column('tenant_id', sa.Integer(), nullable=True),
        sa.Column('query_kind', sa.String(length=10), nullable=False),
        sa.Column('attempt', sa.Integer(), nullable=False),
        sa.Column('http_status', sa.Integer(), nullable=True),
        sa.Column('status', sa.String(length=20), nullable=True),
        sa.Column('status_desc', sa.Text(), nullable=True),
        sa.Column('units_consumed', sa.Integer(), nullable=True),
        sa.Column('units_balance', sa.Integer(), nullable=True),
        sa.Column('records', sa.Integer(), nullable=True),
        sa.Column('duration_ms', sa.Integer(), nullable=False),
        sa.Column('error', sa.Text(), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_records_api_log')),
    )
    op.create_index(op.f('ix_records_api_log_created_at'), 'records_api_log', ['created_at'])
    op.create_table(
        'records_api_alerts',
        sa.Column('day', sa.Date(), nullable=False),
        sa.Column('level', sa.String(length=10), nullable=False),
        sa.Column('balance', sa.Integer(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('day', 'level', name=op.f('pk_records_api_alerts')),
    )


def downgrade() -> None:
    op.drop_table('records_api_alerts')
    op.drop_index(op.f('ix_records_api_log_created_at'), table_name='records_api_log')
    op.drop_table('records_api_log')
    op.drop_table('lookup_unit_days')
    op.drop_index(op.f('ix_lookup_requests_tenant_id_id'), table_name='lookup_requests')
    op.drop_index(op.f('ix_lookup_requests_state_id'), table_name='lookup_requests')
    op.drop_table('lookup_requests')
    op.drop_table('staged_lookup_records')

