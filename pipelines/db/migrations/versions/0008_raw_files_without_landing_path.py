"""raw_files no longer records the landing path

The landing copy is deleted as soon as the file is archived, so the path pointed at
nothing; `archive_uri` is where the file really is, and staging reads it.

Revision ID: 0008
Revises: 0007
"""

import sqlalchemy as sa
from alembic import op

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('raw_files', schema=None) as batch_op:
        batch_op.drop_column('landing_path')


def downgrade() -> None:
    with op.batch_alter_table('raw_files', schema=None) as batch_op:
        batch_op.add_column(sa.Column('landing_path', sa.Text(), nullable=False, server_default=''))
