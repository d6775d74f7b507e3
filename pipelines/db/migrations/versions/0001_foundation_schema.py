"""foundation schema

Revision ID: 0001
Revises: 
Create Date: 2026-11-24 08:15:13.590948
"""

import sqlalchemy as sa
from alembic import op

revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('data_ingestion_logs',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('run_id', sa.String(length=64), nullable=True),
    sa.Column('cadence', sa.String(length=10), nullable=False),
    sa.Column('partition_key', sa.String(length=10), nullable=False),
    sa.Column('file_type', sa.String(length=40), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('source_sha256', sa.String(length=64), nullable=True),
    sa.Column('rows_read', sa.Integer(), nullable=True),
    sa.Column('rows_staged', sa.Integer(), nullable=True),
    sa.Column('rows_quarantined', sa.Integer(), nullable=True),
    sa.Column('duplicates_collapsed', sa.Integer(), nullable=True),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('duration_ms', sa.Integer(), nullable=False),
    sa.Column('error', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_data_ingestion_logs'))
    )
    with op.batch_alter_table('data_ingestion_logs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_data_ingestion_logs_partition_key_file_type'), ['partition_key', 'file_type'], unique=False)

    op.create_table('leads',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('folio', sa.String(length=13), nullable=False),
    sa.Column('lead_type', sa.String(length=20), nullable=False),
    sa.Column('product', sa.String(length=1), nullable=False),
    sa.Column('base_score', sa.Integer(), nullable=False),
    sa.Column('score', sa.Float(), nullable=False),
    sa.Column('priority', sa.String(length=10), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('status_reason', sa.Text(), nullable=True),
    sa.Column('lead_date', sa.Date(), nullable=False),
    sa.Column('case_number', sa.Text(), nullable=True),
    sa.Column('contact_name', sa.Text(), nullable=True),
    sa.Column('contact_address', sa.Text(), nullable=True),
    sa.Column('source_asset', sa.String(length=64), nullable=False),
    sa.Column('source_file', sa.String(length=255), nullable=False),
    sa.Column('source_line', sa.Integer(), nullable=False),
    sa.Column('source_key', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('scored_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_leads')),
    sa.UniqueConstraint('lead_type', 'folio', 'source_key', name=op.f('uq_leads_lead_type_folio_source_key'))
    )
    with op.batch_alter_table('leads', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_leads_status_lead_type'), ['status', 'lead_type'], unique=False)

    op.create_table('properties',
    sa.Column('folio', sa.String(length=13), nullable=False),
    sa.Column('address', sa.Text(), nullable=True),
    sa.Column('city', sa.Text(), nullable=True),
    sa.Column('zip', sa.String(length=10), nullable=True),
    sa.Column('owner_name', sa.Text(), nullable=True),
    sa.Column('last_sale_date', sa.Date(), nullable=True),
    sa.Column('last_sale_price', sa.Numeric(precision=14, scale=2), nullable=True),
    sa.Column('last_sale_cfn', sa.String(length=20), nullable=True),
    sa.Column('last_transaction_type', sa.String(length=10), nullable=True),
    sa.Column('last_transaction_date', sa.Date(), nullable=True),
    sa.Column('last_transaction_cfn', sa.String(length=20), nullable=True),
    sa.Column('transaction_rank', sa.String(length=48), nullable=True),
    sa.Column('sale_rank', sa.String(length=48), nullable=True),
    sa.Column('address_rank', sa.String(length=48), nullable=True),
    sa.Column('first_seen_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('folio', name=op.f('pk_properties'))
    )
    op.create_table('quarantine',
    sa.Column('partition_key', sa.String(length=10), nullable=False),
    sa.Column('file_type', sa.String(length=40), nullable=False),
    sa.Column('source_file', sa.String(length=255), nullable=False),
    sa.Column('line_no', sa.Integer(), nullable=False),
    sa.Column('source_sha256', sa.String(length=64), nullable=False),
    sa.Column('raw_line', sa.Text(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('partition_key', 'source_file', 'line_no', name=op.f('pk_quarantine'))
    )
    op.create_table('raw_files',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('cadence', sa.String(length=10), nullable=False),
    sa.Column('partition_key', sa.String(length=10), nullable=False),
    sa.Column('file_type', sa.String(length=40), nullable=False),
    sa.Column('file_name', sa.String(length=255), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('size_bytes', sa.BigInteger(), nullable=False),
    sa.Column('landing_path', sa.Text(), nullable=False),
    sa.Column('source_uri', sa.Text(), nullable=False),
    sa.Column('fetched_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_raw_files')),
    sa.UniqueConstraint('cadence', 'partition_key', 'file_type', 'sha256', name=op.f('uq_raw_files_cadence_partition_key_file_type_sha256'))
    )
    op.create_table('staged_cases',
    sa.Column('partition_key', sa.String(length=10), nullable=False),
    sa.Column('source_file', sa.String(length=255), nullable=False),
    sa.Column('line_no', sa.Integer(), nullable=False),
    sa.Column('source_sha256', sa.String(length=64), nullable=False),
    sa.Column('case_id', sa.Text(), nullable=True),
    sa.Column('case_number', sa.Text(), nullable=True),
    sa.Column('filing_date', sa.Date(), nullable=True),
    sa.Column('style', sa.Text(), nullable=True),
    sa.Column('case_type_code', sa.Text(), nullable=True),
    sa.Column('judge_code', sa.Text(), nullable=True),
    sa.Column('section_code', sa.Text(), nullable=True),
    sa.Column('state_case_number', sa.Text(), nullable=True),
    sa.Column('companion_case', sa.Text(), nullable=True),
    sa.Column('disposition_date', sa.Date(), nullable=True),
    sa.PrimaryKeyConstraint('partition_key', 'source_file', 'line_no', name=op.f('pk_staged_cases'))
    )
    with op.batch_alter_table('staged_cases', schema=None) as batch_op:
        batch_op.create_index('ix_staged_cases_case_number', ['case_number'], unique=False)

    op.create_table('staged_dockets',
    sa.Column('partition_key', sa.String(length=10), nullable=False),
    sa.Column('source_file', sa.String(length=255), nullable=False),
    sa.Column('line_no', sa.Integer(), nullable=False),
    sa.Column('source_sha256', sa.String(length=64), nullable=False),
    sa.Column('case_id', sa.Text(), nullable=True),
    sa.Column('docket_seq', sa.BigInteger(), nullable=True),
    sa.Column('docket_date', sa.Date(), nullable=True),
    sa.Column('docket_code', sa.Text(), nullable=True),
    sa.Column('description', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('partition_key', 'source_file', 'line_no', name=op.f('pk_staged_dockets'))
    )
    op.create_table('staged_docktext',
    sa.Column('partition_key', sa.String(length=10), nullable=False),
    sa.Column('source_file', sa.String(length=255), nullable=False),
    sa.Column('line_no', sa.Integer(), nullable=False),
    sa.Column('source_sha256', sa.String(length=64), nullable=False),
    sa.Column('case_id', sa.Text(), nullable=True),
    sa.Column('docket_seq', sa.BigInteger(), nullable=True),
    sa.Column('text_line_no', sa.BigInteger(), nullable=True),
    sa.Column('text', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('partition_key', 'source_file', 'line_no', name=op.f('pk_staged_docktext'))
    )
    op.create_table('staged_official_records',
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
    sa.PrimaryKeyConstraint('partition_key', 'source_file', 'line_no', name=op.f('pk_staged_official_records'))
    )
    with op.batch_alter_table('staged_official_records', schema=None) as batch_op:
        batch_op.create_index('ix_staged_official_records_folio_partial', ['folio'], unique=False, postgresql_where=sa.text("doc_type = 'CLP'"), sqlite_where=sa.text("doc_type = 'CLP'"))

    op.create_table('staged_parties',
    sa.Column('partition_key', sa.String(length=10), nullable=False),
    sa.Column('source_file', sa.String(length=255), nullable=False),
    sa.Column('line_no', sa.Integer(), nullable=False),
    sa.Column('source_sha256', sa.String(length=64), nullable=False),
    sa.Column('case_id', sa.Text(), nullable=True),
    sa.Column('party_seq', sa.BigInteger(), nullable=True),
    sa.Column('party_type', sa.Text(), nullable=True),
    sa.Column('party_name', sa.Text(), nullable=True),
    sa.Column('address1', sa.Text(), nullable=True),
    sa.Column('address2', sa.Text(), nullable=True),
    sa.Column('city', sa.Text(), nullable=True),
    sa.Column('state', sa.Text(), nullable=True),
    sa.Column('zip', sa.Text(), nullable=True),
    sa.Column('disposition_code', sa.Text(), nullable=True),
    sa.Column('disposition_date', sa.Date(), nullable=True),
    sa.PrimaryKeyConstraint('partition_key', 'source_file', 'line_no', name=op.f('pk_staged_parties'))
    )


def downgrade() -> None:
    op.drop_table('staged_parties')
    with op.batch_alter_table('staged_official_records', schema=None) as batch_op:
        batch_op.drop_index('ix_staged_official_records_folio_partial', postgresql_where=sa.text("doc_type = 'CLP'"), sqlite_where=sa.text("doc_type = 'CLP'"))

    op.drop_table('staged_official_records')
    op.drop_table('staged_docktext')
    op.drop_table('staged_dockets')
    with op.batch_alter_table('staged_cases', schema=None) as batch_op:
        batch_op.drop_index('ix_staged_cases_case_number')

    op.drop_table('staged_cases')
    op.drop_table('raw_files')
    op.drop_table('quarantine')
    op.drop_table('properties')
    with op.batch_alter_table('leads', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_leads_status_lead_type'))

    op.drop_table('leads')
    with op.batch_alter_table('data_ingestion_logs', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_data_ingestion_logs_partition_key_file_type'))

    op.drop_table('data_ingestion_logs')
