"""The outbox (`notifications`) and the log of every delivery attempt."""

from __future__ import annotations

from sqlalchemy import (
    Column,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from pipelines.db.schema.base import metadata
from pipelines.db.types import Timestamp

# The outbox (docs/domain.md#outbox): queued → sending → sent | failed | unknown. The unique key
# makes a
# re-run or sensor replay unable to queue a second message for the same thing.
notifications = Table(
    "notifications",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("tenant_id", Integer, nullable=False),
    Column("subscriber_id", Integer, ForeignKey("subscribers.id"), nullable=False),
    Column(
        "item_kind", String(10), nullable=False
    ),  # listing | lead | group | digest | … | outreach
    Column("item_id", Integer, nullable=False),
    Column("channel", String(8), nullable=False),  # email | sms | voice | webhook
    Column("template", String(40), nullable=False),
    Column("state", String(8), nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("idempotency_key", String(64), nullable=False, unique=True),
    Column("provider_message_id", Text),
    Column("last_error", Text),
    Column("created_at", Timestamp(), nullable=False),
    Column("updated_at", Timestamp(), nullable=False),
    Column("sent_at", Timestamp()),
    # SMS / voice / webhook: where it goes (E.164 or URL), what it costs, the reservation
    # paying for it, and the earliest time it may go (quiet hours defer it).
    Column("to_address", Text),
    Column("tokens", Integer),
    Column("reservation_id", Integer),
    Column("not_before", Timestamp()),
    # SMS / voice: the provider's furthest status (it only moves forward: a late callback
    # is logged, not applied) and the recipient's day whose daily-cap slot it holds.
    Column("delivery_status", String(12)),
    Column("cap_day", Date),
    # JSON: what the message shows, snapshotted by the code that queued it (a report's link
    # data, a week's summary, a grant's notice), so the outbox reads no other domain's tables.
    Column("context", Text),
    UniqueConstraint("subscriber_id", "item_kind", "item_id", "channel"),
    Index(None, "channel", "state", "id"),
)

# Every attempt to hand a message to its provider, every channel (email, SMS, call, webhook),
# and every status a provider later reported for it; archived to Parquet then deleted by
# cleanup. (Migration 0018 moved the four per-channel logs here; their names are views.)
delivery_attempts = Table(
    "delivery_attempts",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("tenant_id", Integer),
    Column("notification_id", Integer),
    Column("channel", String(8), nullable=False),
    Column("to_address", Text, nullable=False),
    Column("template", String(40), nullable=False),
    Column("status", String(12), nullable=False),
    Column("provider_message_id", Text),
    Column("attempt", Integer, nullable=False),
    Column("error", Text),
    Column("duration_seconds", Integer),  # a call's, from its final status
    Column("created_at", Timestamp(), nullable=False),
    Index(None, "created_at"),
    Index(None, "notification_id"),
)
