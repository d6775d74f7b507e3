"""On-demand property lookups through the county's records API: requests, the daily unit
budget, every call made, and the balance alerts sent (docs/domain.md#lookups)."""

from __future__ import annotations

from sqlalchemy import (
    Column,
    Date,
    Index,
    Integer,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
)

from pipelines.db.schema.base import metadata
from pipelines.db.types import Timestamp

lookup_requests = Table(
    "lookup_requests",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("tenant_id", Integer, nullable=False),
    Column("query_kind", String(10), nullable=False),  # folio | cfn | book_page
    Column("query_value", String(40), nullable=False),
    Column("state", String(10), nullable=False),  # queued | running | done | failed | refused
    Column("units_day", Date),  # the county day whose budget holds the reservation
    Column("units_reserved", Integer, nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("progress", Integer, nullable=False),  # percent
    Column("folio", String(13)),  # the property the answer is about
    Column("result", Text),  # JSON: the property row
    Column("error", Text),
    Column("created_at", Timestamp(), nullable=False),
    Column("updated_at", Timestamp(), nullable=False),
    Column("finished_at", Timestamp()),
    Index(None, "state", "id"),
    Index(None, "tenant_id", "id"),
)

# The day's unit budget: reserved (calls in flight) + consumed (settled) never exceed the cap.
lookup_unit_days = Table(
    "lookup_unit_days",
    metadata,
    Column("day", Date, primary_key=True),
    Column("reserved", Integer, nullable=False),
    Column("consumed", Integer, nullable=False),
)

# Every call to the records API: what was asked, what it cost, what the county said. Never
# the key.
records_api_log = Table(
    "records_api_log",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("request_id", Integer),
    Column("tenant_id", Integer),
    Column("query_kind", String(10), nullable=False),
    Column("attempt", Integer, nullable=False),
    Column("http_status", Integer),
    Column("status", String(20)),  # the county's Status
    Column("status_desc", Text),
    Column("units_consumed", Integer),
    Column("units_balance", Integer),
    Column("records", Integer),
    Column("duration_ms", Integer, nullable=False),
    Column("error", Text),
    Column("created_at", Timestamp(), nullable=False),
    Index(None, "created_at"),
)

# Balance alerts already sent: one per level per county day.
records_api_alerts = Table(
    "records_api_alerts",
    metadata,
    Column("day", Date, nullable=False),
    Column("level", String(10), nullable=False),  # warning | critical
    Column("balance", Integer, nullable=False),
    Column("created_at", Timestamp(), nullable=False),
    PrimaryKeyConstraint("day", "level"),
)
