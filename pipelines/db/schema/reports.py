"""Reports: what a client asked for (`report_requests`) and every report file built (`reports`)."""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, Index, Integer, String, Table, Text

from pipelines.db.schema.base import metadata
from pipelines.db.types import Timestamp

# A client's request: a listing's PDF or a leads export; its states and moves are
# pipelines.workqueue.ReportState and REPORT_MOVES.
report_requests = Table(
    "report_requests",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("tenant_id", Integer, nullable=False),
    Column("subscriber_id", Integer),  # who gets the report_ready email, if anyone
    Column("kind", String(20), nullable=False),  # listing | leads_export
    Column("format", String(4), nullable=False),  # pdf | csv | xlsx
    Column("params", Text, nullable=False),  # JSON: listing_id, or the export's filters
    Column("state", String(10), nullable=False),
    Column("progress", Integer, nullable=False),  # percent
    Column("attempts", Integer, nullable=False),
    Column("report_id", Integer),
    Column("error", Text),
    Column("created_at", Timestamp(), nullable=False),
    Column("updated_at", Timestamp(), nullable=False),
    Column("finished_at", Timestamp()),
    Index(None, "state", "id"),
    Index(None, "tenant_id", "id"),
)

# Every stored report file: where it is, its checksum and size. tenant_id NULL = county-wide
# (the daily market report).
reports = Table(
    "reports",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("tenant_id", Integer),
    Column("kind", String(30), nullable=False),  # listing | leads_export | daily_market | ...
    Column("period", String(10)),  # the partition key of a periodic report
    Column("format", String(4), nullable=False),
    Column("store_key", Text, nullable=False),
    Column("uri", Text, nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("bytes", BigInteger, nullable=False),
    Column("created_at", Timestamp(), nullable=False),
    Index(None, "kind", "period"),
)
