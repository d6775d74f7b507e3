"""dead letters resolve when a later run succeeds

Revision ID: 0017
Revises: 0016

An open dead-letter entry becomes `resolved` once a later run of its job and partition (or a
retry of it) succeeds: which run, and when it ended.
"""

from alembic import op
import sqlalchemy as sa


revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("failed_jobs") as batch:
        batch.add_column(sa.Column("resolved_run_id", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("failed_jobs") as batch:
        batch.drop_column("resolved_at")
        batch.drop_column("resolved_run_id")
