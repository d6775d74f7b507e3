"""scores that rank: a lead's score is the sum of its parts

Revision ID: 0020
Revises: 0019

`lead_scores` is recomputed whole by every scoring, so it is made again with the new parts
(stacking, ownership and freshness points instead of a freshness decay) and filled by the
next scoring. Each lead's `base_score` becomes its kind's points under the new defaults, and
its `score` that base until the next scoring (the nightly `lead_scoring` job, `folio backfill`
or the next ingestion, which scores every open lead): never a score on the old 65–100 scale
next to new ones.
"""

from alembic import op
import sqlalchemy as sa


revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None

NEW_BASE = {
    "new_homeowner": 12,
    "foreclosure": 30,
    "probate": 30,
    "eviction": 22,
    "lien": 12,
    "judgment": 16,
}
OLD_BASE = {
    "new_homeowner": 85,
    "foreclosure": 90,
    "probate": 88,
    "eviction": 75,
    "lien": 70,
    "judgment": 65,
}


def _rebase(points: dict[str, int]) -> None:
    leads = sa.table(
        "leads",
        sa.column("lead_type", sa.String),
        sa.column("base_score", sa.Integer),
        sa.column("score", sa.Float),
    )
    for lead_type, base in points.items():
        op.execute(
            leads.update().where(leads.c.lead_type == lead_type).values(base_score=base, score=base)
        )


def upgrade() -> None:
    op.drop_table("lead_scores")
    op.create_table(
        "lead_scores",
        sa.Column("lead_id", sa.Integer(), nullable=False),
        sa.Column("scored_on", sa.Date(), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("base_score", sa.Integer(), nullable=False),
        sa.Column("stacking_bonus", sa.Integer(), nullable=False),
        sa.Column("equity_bonus", sa.Integer(), nullable=False),
        sa.Column("ownership_bonus", sa.Integer(), nullable=False),
        sa.Column("freshness_bonus", sa.Integer(), nullable=False),
        sa.Column("engagement_bonus", sa.Integer(), nullable=False),
        sa.Column("absentee_bonus", sa.Integer(), nullable=False),
        sa.Column("age_days", sa.Integer(), nullable=False),
        sa.Column("signals", sa.Integer(), nullable=False),
        sa.Column("equity_ratio", sa.Float(), nullable=True),
        sa.Column("years_owned", sa.Integer(), nullable=True),
        sa.Column("scored_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("lead_id", name=op.f("pk_lead_scores")),
    )
    _rebase(NEW_BASE)


def downgrade() -> None:
    op.drop_table("lead_scores")
    op.create_table(
        "lead_scores",
        sa.Column("lead_id", sa.Integer(), nullable=False),
        sa.Column("scored_on", sa.Date(), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("base_score", sa.Integer(), nullable=False),
        sa.Column("age_days", sa.Integer(), nullable=False),
        sa.Column("freshness_decay", sa.Integer(), nullable=False),
        sa.Column("equity_ratio", sa.Float(), nullable=True),
        sa.Column("equity_bonus", sa.Integer(), nullable=False),
        sa.Column("engagement_bonus", sa.Integer(), nullable=False),
        sa.Column("absentee_bonus", sa.Integer(), nullable=False),
        sa.Column("scored_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("lead_id", name=op.f("pk_lead_scores")),
    )
    _rebase(OLD_BASE)
