"""Leads, how county records matched properties, nightly lead scores and engagement events."""

from __future__ import annotations

from sqlalchemy import (
    Column,
    Date,
    Float,
    Index,
    Integer,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from pipelines.db.schema.base import metadata
from pipelines.db.types import Timestamp

LEAD_STATUSES = ("new", "sent", "contacted", "dismissed", "expired")

leads = Table(
    "leads",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("folio", String(13), nullable=False),
    Column("lead_type", String(20), nullable=False),
    Column("product", String(1), nullable=False),
    Column("base_score", Integer, nullable=False),
    Column("score", Float, nullable=False),
    Column("priority", String(10), nullable=False),
    Column("status", String(12), nullable=False),
    Column("status_reason", Text),
    Column("lead_date", Date, nullable=False),
    Column("case_number", Text),
    Column("contact_name", Text),
    Column("contact_address", Text),
    Column("source_asset", String(64), nullable=False),
    Column("source_file", String(255), nullable=False),
    Column("source_line", Integer, nullable=False),
    Column("source_key", String(64), nullable=False),
    Column("created_at", Timestamp(), nullable=False),
    Column("scored_at", Timestamp()),
    UniqueConstraint("lead_type", "folio", "source_key"),
    Index(None, "status", "lead_type"),
)

MATCH_STATUSES = ("matched", "ambiguous", "unmatched")

record_matches = Table(
    "record_matches",
    metadata,
    Column("file_type", String(40), nullable=False),
    Column("partition_key", String(10), nullable=False),
    Column("source_file", String(255), nullable=False),
    Column("line_no", Integer, nullable=False),
    Column("record_key", String(64), nullable=False),
    Column("folio", String(13)),
    Column("method", String(12)),  # address | owner_name (folio-bearing files need no match)
    Column("confidence", Float),
    Column("status", String(10), nullable=False),
    Column("reason", Text),
    PrimaryKeyConstraint("file_type", "partition_key", "source_file", "line_no"),
    Index(None, "file_type", "status"),
)

lead_scores = Table(
    "lead_scores",
    metadata,
    Column("lead_id", Integer, primary_key=True),
    Column("scored_on", Date, nullable=False),
    Column("score", Float, nullable=False),  # the sum of the *_score/*_bonus parts below
    Column("base_score", Integer, nullable=False),
    Column("stacking_bonus", Integer, nullable=False),
    Column("equity_bonus", Integer, nullable=False),
    Column("ownership_bonus", Integer, nullable=False),
    Column("freshness_bonus", Integer, nullable=False),
    Column("engagement_bonus", Integer, nullable=False),
    Column("absentee_bonus", Integer, nullable=False),
    # what the parts were computed from
    Column("age_days", Integer, nullable=False),
    Column("signals", Integer, nullable=False),  # kinds of distress open on the property
    Column("equity_ratio", Float),
    Column("years_owned", Integer),
    Column("scored_at", Timestamp(), nullable=False),
)

# What a subscriber did with an alert about an item (docs/domain.md#engagement): opened,
# clicked, contacted, dismissed. One row per (item, subscriber, event): a second open of the
# same mail adds nothing. `lead_id` is the item's id (a listing's when item_kind = listing).
lead_events = Table(
    "lead_events",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("lead_id", Integer, nullable=False),
    Column("event", String(10), nullable=False),
    Column("occurred_at", Timestamp(), nullable=False),
    Column("item_kind", String(10), nullable=False, server_default="lead"),
    Column("subscriber_id", Integer),
    Column("tenant_id", Integer),
    Column("notification_id", Integer),
    Index(None, "lead_id", "event"),
    Index(None, "item_kind", "lead_id", "subscriber_id", "event", unique=True),
)
