"""one table of delivery attempts for every channel

Revision ID: 0018
Revises: 0017

email_logs, sms_logs, voice_call_logs and webhook_logs had the same columns: their rows move
to `delivery_attempts` (with the channel, and a call's duration), and the old names stay as
read-only views over it for anyone's saved queries. `webhook_logs.http_status` was never
written and is gone.
"""

from alembic import op
import sqlalchemy as sa


revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None

COMMON = (
    "tenant_id, notification_id, to_address, template, status, provider_message_id, "
    "attempt, error"
)
NONE = "CAST(NULL AS INTEGER)"  # typed: PostgreSQL types a UNION's column by its first branch
OLD = {  # old table -> (channel, its duration column or none)
    "email_logs": ("email", NONE),
    "sms_logs": ("sms", NONE),
    "voice_call_logs": ("voice", "duration_seconds"),
    "webhook_logs": ("webhook", NONE),
}


def upgrade() -> None:
    op.create_table(
        "delivery_attempts",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("tenant_id", sa.Integer()),
        sa.Column("notification_id", sa.Integer()),
        sa.Column("channel", sa.String(length=8), nullable=False),
        sa.Column("to_address", sa.Text(), nullable=False),
        sa.Column("template", sa.String(length=40), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("provider_message_id", sa.Text()),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("error", sa.Text()),
        sa.Column("duration_seconds", sa.Integer()),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index(None, "delivery_attempts", ["created_at"])
    op.create_index(None, "delivery_attempts", ["notification_id"])
    # Oldest first across the four tables, so the new ids keep the order of events.
    union = " UNION ALL ".join(
        f"SELECT {COMMON}, '{channel}' AS channel, {duration} AS duration_seconds, created_at, "
        f"{n} AS source, id AS old_id FROM {table}"
        for n, (table, (channel, duration)) in enumerate(OLD.items())
    )
    op.execute(
        f"INSERT INTO delivery_attempts ({COMMON}, channel, duration_seconds, created_at) "
        f"SELECT {COMMON}, channel, duration_seconds, created_at FROM ({union}) AS old "
        "ORDER BY created_at, source, old_id"
    )
    for table, (channel, duration) in OLD.items():
        op.drop_table(table)
        extra = ", duration_seconds" if duration != NONE else ""
        op.execute(
            f"CREATE VIEW {table} AS SELECT id, {COMMON}{extra}, created_at "
            f"FROM delivery_attempts WHERE channel = '{channel}'"
        )


def downgrade() -> None:
    for table, (channel, duration) in OLD.items():
        op.execute(f"DROP VIEW {table}")
        op.create_table(
            table,
            sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
            sa.Column("tenant_id", sa.Integer()),
            sa.Column("notification_id", sa.Integer()),
            sa.Column("to_address", sa.Text(), nullable=False),
            sa.Column("template", sa.String(length=40), nullable=False),
            sa.Column("status", sa.String(length=12), nullable=False),
            sa.Column("provider_message_id", sa.Text()),
            sa.Column("attempt", sa.Integer(), nullable=False),
            sa.Column("error", sa.Text()),
            *([sa.Column("duration_seconds", sa.Integer())] if duration != NONE else []),
            *([sa.Column("http_status", sa.Integer())] if table == "webhook_logs" else []),
            sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        )
        op.create_index(None, table, ["created_at"])
        extra = ", duration_seconds" if duration != NONE else ""
        op.execute(
            f"INSERT INTO {table} ({COMMON}{extra}, created_at) "
            f"SELECT {COMMON}{extra}, created_at FROM delivery_attempts "
            f"WHERE channel = '{channel}' ORDER BY id"
        )
    op.drop_table("delivery_attempts")
