"""outbox messages carry their context

Revision ID: 0019
Revises: 0018

What a report-ready, weekly or billing email shows is snapshotted by the code that queues
it (JSON in `notifications.context`), so the outbox renders it without reading the
reports, alerts or ledger tables.
"""

from alembic import op
import sqlalchemy as sa


revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("notifications") as batch:
        batch.add_column(sa.Column("context", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("notifications") as batch:
        batch.drop_column("context")
