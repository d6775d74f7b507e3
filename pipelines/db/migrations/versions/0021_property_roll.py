"""the property appraiser's roll

Revision ID: 0021
Revises: 0020

A new optional weekly file, `PropertyRoll.exp`, staged into `staged_property_roll`; its facts
and the owner's mailing address enrich `properties` (docs/domain.md#property-roll).
"""

from alembic import op
import sqlalchemy as sa


revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None

PROPERTY_COLUMNS = [
    ("owner_mailing_address", sa.Text()),
    ("owner_mailing_city", sa.Text()),
    ("owner_mailing_zip", sa.String(length=10)),
    ("land_use", sa.Text()),
    ("bedrooms", sa.Integer()),
    ("bathrooms", sa.Numeric(precision=4, scale=1)),
    ("living_sqft", sa.Integer()),
    ("year_built", sa.Integer()),
    ("lot_sqft", sa.Integer()),
    ("assessed_value", sa.Numeric(precision=14, scale=2)),
    ("market_value", sa.Numeric(precision=14, scale=2)),
    ("homestead", sa.Boolean()),
    ("roll_sale_date", sa.Date()),
    ("roll_sale_price", sa.Numeric(precision=14, scale=2)),
    ("roll_partition", sa.String(length=10)),
]


def upgrade() -> None:
    op.create_table(
        "staged_property_roll",
        sa.Column("partition_key", sa.String(length=10), nullable=False),
        sa.Column("source_file", sa.String(length=255), nullable=False),
        sa.Column("line_no", sa.Integer(), nullable=False),
        sa.Column("source_sha256", sa.String(length=64), nullable=False),
        sa.Column("folio", sa.String(length=13), nullable=True),
        sa.Column("site_address", sa.Text(), nullable=True),
        sa.Column("site_city", sa.Text(), nullable=True),
        sa.Column("site_zip", sa.Text(), nullable=True),
        sa.Column("owner_name", sa.Text(), nullable=True),
        sa.Column("owner_name_2", sa.Text(), nullable=True),
        sa.Column("mailing_address", sa.Text(), nullable=True),
        sa.Column("mailing_city", sa.Text(), nullable=True),
        sa.Column("mailing_state", sa.Text(), nullable=True),
        sa.Column("mailing_zip", sa.Text(), nullable=True),
        sa.Column("land_use", sa.Text(), nullable=True),
        sa.Column("bedrooms", sa.BigInteger(), nullable=True),
        sa.Column("bathrooms", sa.Numeric(precision=14, scale=2), nullable=True),
        sa.Column("living_sqft", sa.BigInteger(), nullable=True),
        sa.Column("year_built", sa.BigInteger(), nullable=True),
        sa.Column("lot_sqft", sa.BigInteger(), nullable=True),
        sa.Column("assessed_value", sa.Numeric(precision=14, scale=2), nullable=True),
        sa.Column("market_value", sa.Numeric(precision=14, scale=2), nullable=True),
        sa.Column("homestead", sa.Text(), nullable=True),
        sa.Column("last_sale_date", sa.Date(), nullable=True),
        sa.Column("last_sale_price", sa.Numeric(precision=14, scale=2), nullable=True),
        sa.Column("address_key", sa.Text(), nullable=True),
        sa.Column("unit_key", sa.String(length=20), nullable=True),
        sa.Column("owner_key", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint(
            "partition_key", "source_file", "line_no", name=op.f("pk_staged_property_roll")
        ),
    )
    with op.batch_alter_table("properties") as batch:
        for name, type_ in PROPERTY_COLUMNS:
            batch.add_column(sa.Column(name, type_, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("properties") as batch:
        for name, _ in reversed(PROPERTY_COLUMNS):
            batch.drop_column(name)
    op.drop_table("staged_property_roll")
