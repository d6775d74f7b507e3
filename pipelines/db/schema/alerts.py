"""Which subscribers an item (listing or county lead) met."""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
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

# An item (listing or county lead) that met a subscriber's criteria; at most once per pair.
alert_matches = Table(
    "alert_matches",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("tenant_id", Integer, nullable=False),
    Column("subscriber_id", Integer, ForeignKey("subscribers.id"), nullable=False),
    Column("item_kind", String(10), nullable=False),  # listing | lead
    Column("item_id", Integer, nullable=False),
    Column("score", Integer, nullable=False),
    Column("reasons", Text, nullable=False),
    Column("digest_only", Boolean, nullable=False),
    Column("matched_at", Timestamp(), nullable=False),
    # The item's own date (a lead's lead_date, a listing's listed day): the digest's order
    # and the alert window read it.
    Column("item_date", Date),
    # The email that carried this match (its own alert, a grouped alert or a digest); NULL
    # until one did. A match is carried by at most one email.
    Column("notification_id", Integer),
    UniqueConstraint("subscriber_id", "item_kind", "item_id"),
    Index(None, "subscriber_id", "notification_id"),
)
