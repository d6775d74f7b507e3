"""criteria written are matched to the open leads at once; one lead scoring at a time

Revision ID: 0024
Revises: 0023

Every write of a subscriber's criteria takes the next number of a `criteria` counter
(`listing_seq` row); the lead alerts sensor matches the alertable leads for the criteria
written past its cursor. Criteria written before have none: nothing to catch up. The
`scoring` row serialises lead scorings (ingestion runs and the nightly one may overlap) and
counts the nightly ones (the sensor re-matches after each).
"""

from alembic import op
import sqlalchemy as sa


revision = "0024"
down_revision = "0023"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("alert_criteria") as batch:
        batch.add_column(sa.Column("criteria_seq", sa.BigInteger(), nullable=True))
    op.execute("INSERT INTO listing_seq (name, value) VALUES ('criteria', 0), ('scoring', 0)")


def downgrade() -> None:
    op.execute("DELETE FROM listing_seq WHERE name IN ('criteria', 'scoring')")
    with op.batch_alter_table("alert_criteria") as batch:
        batch.drop_column("criteria_seq")
