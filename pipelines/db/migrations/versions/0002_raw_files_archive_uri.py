"""raw files archive uri

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24 08:24:33.156845
"""

import sqlalchemy as sa
from alembic import op

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('raw_files', schema=None) as batch_op:
        batch_op.add_column(sa.Column('archive_uri', sa.Text(), nullable=True))



def downgrade() -> None:
    with op.batch_alter_table('raw_files', schema=None) as batch_op:
        batch_op.drop_column('archive_uri')

