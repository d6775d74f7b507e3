"""api keys a tenant can manage

Revision ID: 0022
Revises: 0021

A tenant may hold several API keys, each labelled, revocable and with its last use; the
one key each tenant had moves to `api_keys` (labelled "first key": it keeps working).
"""

from alembic import op
import sqlalchemy as sa


revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "api_keys",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("key_sha256", sa.String(length=64), nullable=False),
        sa.Column("prefix", sa.String(length=16), nullable=True),
        sa.Column("label", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_api_keys_tenant_id_tenants")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_keys")),
        sa.UniqueConstraint("key_sha256", name=op.f("uq_api_keys_key_sha256")),
    )
    op.execute(
        "INSERT INTO api_keys (tenant_id, key_sha256, label, created_at) "
        "SELECT id, api_key_sha256, 'first key', created_at FROM tenants"
    )
    with op.batch_alter_table("tenants") as batch:
        batch.drop_column("api_key_sha256")


def downgrade() -> None:
    with op.batch_alter_table("tenants") as batch:
        batch.add_column(sa.Column("api_key_sha256", sa.String(length=64), nullable=True))
    # Each tenant keeps its oldest key that is not revoked (the others are lost).
    op.execute(
        "UPDATE tenants SET api_key_sha256 = (SELECT k.key_sha256 FROM api_keys k "
        "WHERE k.tenant_id = tenants.id AND k.revoked_at IS NULL ORDER BY k.id LIMIT 1)"
    )
    op.drop_table("api_keys")
