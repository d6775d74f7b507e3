"""a subscriber's delivery choice and a separate hot-lead opt-in

Revision ID: 0023
Revises: 0022

`delivery` (instant | digest | weekly | off) replaces the digest-only switch, which stays as
`delivery != 'instant'`; `hot_at_once` and `hot_min_score` are the separate opt-in for hot
matches at once. A digest-only subscriber becomes `digest` without the opt-in: hot leads no
longer override the choice (docs/domain.md#alerts).
"""

from alembic import op
import sqlalchemy as sa


revision = "0023"
down_revision = "0022"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("alert_criteria") as batch:
        batch.add_column(
            sa.Column("delivery", sa.String(length=10), nullable=False, server_default="instant")
        )
        batch.add_column(
            sa.Column("hot_at_once", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch.add_column(sa.Column("hot_min_score", sa.Integer(), nullable=True))
    criteria = sa.table(
        "alert_criteria", sa.column("digest_only", sa.Boolean), sa.column("delivery", sa.String)
    )
    op.execute(criteria.update().where(criteria.c.digest_only.is_(True)).values(delivery="digest"))


def downgrade() -> None:
    with op.batch_alter_table("alert_criteria") as batch:
        batch.drop_column("hot_min_score")
        batch.drop_column("hot_at_once")
        batch.drop_column("delivery")
