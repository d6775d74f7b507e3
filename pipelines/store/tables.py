"""The product schema as SQLAlchemy Core tables (migrated by Alembic, see migrations/).

Staged tables are built from the *default* file layouts so the two cannot drift;
a swapped-in layout must name columns these tables have (checked at load time).
Staged rows and quarantine rows carry no surrogate id and no wall-clock column,
so re-running a partition rewrites them byte for byte.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    Numeric,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    UniqueConstraint,
    text,
)

from pipelines.records.layouts import DEFAULT_LAYOUTS_FILE, FileLayout, load_layouts

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "pk": "pk_%(table_name)s",
    }
)

_SQL_TYPES = {
    "text": Text,
    "int": BigInteger,
    "money": Numeric(14, 2),
    "folio": String(13),
    "date_ymd": Date,
    "date_mdy": Date,
}

# Columns computed at parse time, per file type (not in the county file).
def _match_keys() -> list[Column]:
    # Normalised keys (pipelines/leads/normalize.py) that matching joins on.
    return [Column("address_key", Text), Column("unit_key", String(20)), Column("owner_key", Text)]


DERIVED_COLUMNS = {
    "official_records": [
        Column("cfn", String(20), nullable=False),
        Column("document_head", Boolean, nullable=False),  # the row that carries its (cfn, folio)
        Column("grantee", Text),  # the document's first party-code-R name
        Column("address_key", Text),
        Column("unit_key", String(20)),
        Column("grantee_key", Text),
    ],
    **{ft: _match_keys() for ft in ("evictions", "indebtedness", "probate", "verdicts")},
}
# Each index costs load time on every partition (measured: benchmarks/ingest.py), so only
# what a query uses: the CLP lookup that closes foreclosures reads a partial index.
STAGED_INDEXES = {
    "official_records": [(("folio",), "doc_type = 'CLP'")],
    "cases": [(("case_number",), None)],
}


def _staged_table(layout: FileLayout) -> Table:
    cols = [
        Column("partition_key", String(10), nullable=False),
        Column("source_file", String(255), nullable=False),
        Column("line_no", Integer, nullable=False),
        Column("source_sha256", String(64), nullable=False),
    ]
    cols += [Column(c.name, _SQL_TYPES[c.type]) for c in layout.kept]
    cols += [c.copy() for c in DERIVED_COLUMNS.get(layout.file_type, [])]
    table = Table(
        layout.table,
        metadata,
        *cols,
        PrimaryKeyConstraint("partition_key", "source_file", "line_no"),
    )
    for cols, where in STAGED_INDEXES.get(layout.file_type, []):
        cond = {} if where is None else {"postgresql_where": text(where), "sqlite_where": text(where)}
        Index(f"ix_{layout.table}_{'_'.join(cols)}{'_partial' if where else ''}", *(table.c[n] for n in cols), **cond)
    return table


STAGED_TABLES: dict[str, Table] = {
    ft: _staged_table(layout) for ft, layout in load_layouts(str(DEFAULT_LAYOUTS_FILE)).items()
}

raw_files = Table(
    "raw_files",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("cadence", String(10), nullable=False),
    Column("partition_key", String(10), nullable=False),
    Column("file_type", String(40), nullable=False),
    Column("file_name", String(255), nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("size_bytes", BigInteger, nullable=False),
    Column("landing_path", Text, nullable=False),
    Column("source_uri", Text, nullable=False),
    Column("archive_uri", Text),  # where the archived copy lives (added in 0002)
    Column("fetched_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("cadence", "partition_key", "file_type", "sha256"),
)

quarantine = Table(
    "quarantine",
    metadata,
    Column("partition_key", String(10), nullable=False),
    Column("file_type", String(40), nullable=False),
    Column("source_file", String(255), nullable=False),
    Column("line_no", Integer, nullable=False),
    Column("source_sha256", String(64), nullable=False),
    Column("raw_line", Text, nullable=False),
    Column("reason", Text, nullable=False),
    PrimaryKeyConstraint("partition_key", "source_file", "line_no"),
)

properties = Table(
    "properties",
    metadata,
    Column("folio", String(13), primary_key=True),
    Column("address", Text),
    Column("city", Text),
    Column("zip", String(10)),
    Column("owner_name", Text),
    Column("last_sale_date", Date),
    Column("last_sale_price", Numeric(14, 2)),
    Column("last_sale_cfn", String(20)),
    Column("last_transaction_type", String(10)),
    Column("last_transaction_date", Date),
    Column("last_transaction_cfn", String(20)),
    # Ranks "rec_date|cfn|partition" of the document that set each group of fields:
    # a document replaces a group only when it ranks higher, so the merge result
    # does not depend on file order or on how partitions are batched.
    Column("transaction_rank", String(48)),
    Column("sale_rank", String(48)),
    Column("address_rank", String(48)),
    # Matching keys, set with the fields they derive from (address group / sale group).
    Column("address_key", Text),
    Column("unit_key", String(20)),
    Column("owner_key", Text),
    # Owner's mailing state when a feed provides it (none of the county files does yet):
    # an out-of-state owner is an absentee owner (lead scoring bonus).
    Column("owner_mailing_state", String(2)),
    Column("first_seen_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

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
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("scored_at", DateTime(timezone=True)),
    UniqueConstraint("lead_type", "folio", "source_key"),
    Index(None, "status", "lead_type"),
)

data_ingestion_logs = Table(
    "data_ingestion_logs",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("run_id", String(64)),
    Column("cadence", String(10), nullable=False),
    Column("partition_key", String(10), nullable=False),
    Column("file_type", String(40), nullable=False),
    Column("status", String(10), nullable=False),  # success | failed
    Column("source_sha256", String(64)),
    Column("rows_read", Integer),
    Column("rows_staged", Integer),
    Column("rows_quarantined", Integer),
    Column("duplicates_collapsed", Integer),
    Column("started_at", DateTime(timezone=True), nullable=False),
    Column("finished_at", DateTime(timezone=True), nullable=False),
    Column("duration_ms", Integer, nullable=False),
    Column("error", Text),
    Index(None, "partition_key", "file_type"),
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
    Column("score", Float, nullable=False),
    Column("base_score", Integer, nullable=False),
    Column("age_days", Integer, nullable=False),
    Column("freshness_decay", Integer, nullable=False),
    Column("equity_ratio", Float),
    Column("equity_bonus", Integer, nullable=False),
    Column("engagement_bonus", Integer, nullable=False),
    Column("absentee_bonus", Integer, nullable=False),
    Column("scored_at", DateTime(timezone=True), nullable=False),
)

# Engagement with alerts about a lead (filled by notification delivery: opens and clicks).
lead_events = Table(
    "lead_events",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("lead_id", Integer, nullable=False),
    Column("event", String(10), nullable=False),  # opened | clicked
    Column("occurred_at", DateTime(timezone=True), nullable=False),
    Index(None, "lead_id", "event"),
)

# Every email attempt (written by email delivery); archived to Parquet then deleted by cleanup.
email_logs = Table(
    "email_logs",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("tenant_id", Integer),
    Column("notification_id", Integer),
    Column("to_address", Text, nullable=False),
    Column("template", String(40), nullable=False),
    Column("status", String(12), nullable=False),
    Column("provider_message_id", Text),
    Column("attempt", Integer, nullable=False),
    Column("error", Text),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Index(None, "created_at"),
)


# Dead-letter queue: runs that failed after their last retry (SPEC §5).
failed_jobs = Table(
    "failed_jobs",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("run_id", String(64), nullable=False, unique=True),
    Column("job_name", String(128), nullable=False),
    Column("partition_key", String(64)),
    Column("tags", Text, nullable=False),  # JSON
    Column("error_class", String(255)),
    Column("error_message", Text),
    Column("attempts", Integer, nullable=False),
    Column("first_failure_at", DateTime(timezone=True), nullable=False),
    Column("last_failure_at", DateTime(timezone=True), nullable=False),
    Column("status", String(12), nullable=False),  # open | retried | discarded
    Column("retry_run_id", String(64)),
    Column("discard_reason", Text),
    Column("alerted", Boolean, nullable=False),
)


# A snapshot of the run queue per job, every few minutes (the queue_metrics sensor).
queue_metrics = Table(
    "queue_metrics",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("recorded_at", DateTime(timezone=True), nullable=False),
    Column("job_name", String(128), nullable=False),
    Column("queued", Integer, nullable=False),
    Column("in_progress", Integer, nullable=False),
    Column("succeeded_1h", Integer, nullable=False),
    Column("failed_1h", Integer, nullable=False),
    Column("failed_rate_1h", Float),
    Column("p50_seconds_1h", Float),
    Column("p95_seconds_1h", Float),
    Index(None, "recorded_at"),
)


# One-off jobs to launch later (`folio schedule JOB --at`); the due-jobs sensor launches each once.
scheduled_jobs = Table(
    "scheduled_jobs",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("job_name", String(128), nullable=False),
    Column("run_at", DateTime(timezone=True), nullable=False),
    Column("run_config", Text, nullable=False),  # JSON
    Column("partition_key", String(64)),
    Column("status", String(12), nullable=False),  # pending | launched | canceled
    Column("run_key", String(64)),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("launched_at", DateTime(timezone=True)),
    Index(None, "status", "run_at"),
)


# ---- Tenants, subscribers and their alert criteria (SPEC §2, §5: every tenant-owned row
# carries tenant_id).
tenants = Table(
    "tenants",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("slug", String(40), nullable=False, unique=True),
    Column("name", Text, nullable=False),
    Column("api_key_sha256", String(64), nullable=False, unique=True),  # the key itself is never stored
    Column("created_at", DateTime(timezone=True), nullable=False),
)

subscribers = Table(
    "subscribers",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("tenant_id", Integer, ForeignKey("tenants.id"), nullable=False),
    Column("name", Text),
    Column("email", Text, nullable=False),
    Column("phone", String(20)),
    Column("time_zone", String(40), nullable=False),
    Column("active", Boolean, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("tenant_id", "email"),
)

# One row per subscriber; list-valued criteria are JSON arrays (NULL: any).
alert_criteria = Table(
    "alert_criteria",
    metadata,
    Column("subscriber_id", Integer, ForeignKey("subscribers.id"), primary_key=True),
    Column("tenant_id", Integer, ForeignKey("tenants.id"), nullable=False),
    Column("min_score", Integer, nullable=False),
    Column("max_price", Numeric(14, 2)),
    Column("min_roi", Float),
    Column("cities", Text),
    Column("zip_codes", Text),
    Column("listing_types", Text),
    Column("lead_types", Text),
    Column("channels", Text, nullable=False),
    Column("digest_only", Boolean, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

# ---- Listings (SPEC §1.2). change_seq comes from listing_seq, taken under a row lock in the
# writing transaction, so sequence order is commit order: the new-listings sensor's cursor
# can never skip a listing that commits late.
listing_seq = Table(
    "listing_seq",
    metadata,
    Column("name", String(20), primary_key=True),
    Column("value", BigInteger, nullable=False),
)

listings = Table(
    "listings",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("tenant_id", Integer, ForeignKey("tenants.id"), nullable=False),
    Column("external_id", String(100), nullable=False),
    Column("address", Text, nullable=False),
    Column("city", Text, nullable=False),
    Column("zip", String(5), nullable=False),
    Column("price", Numeric(14, 2), nullable=False),
    Column("listing_type", String(12), nullable=False),
    Column("bedrooms", Integer),
    Column("bathrooms", Float),
    Column("sqft", Integer),
    Column("year_built", Integer),
    Column("estimated_rent", Numeric(12, 2)),
    Column("folio", String(13)),
    Column("listed_at", DateTime(timezone=True), nullable=False),
    Column("content_sha256", String(64), nullable=False),
    Column("change_seq", BigInteger, nullable=False),
    Column("source", String(10), nullable=False),  # cli | inbox | http | demo
    Column("source_file", Text),
    Column("source_line", Integer),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("tenant_id", "external_id"),
    Index(None, "change_seq"),
    Index(None, "tenant_id", "zip"),
)

# Listing records refused at intake: file, line and reason (nothing is dropped silently).
listing_quarantine = Table(
    "listing_quarantine",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("tenant_id", Integer, ForeignKey("tenants.id"), nullable=False),
    Column("source", String(10), nullable=False),
    Column("source_file", Text),
    Column("source_sha256", String(64)),
    Column("line_no", Integer),
    Column("raw", Text, nullable=False),
    Column("reason", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("tenant_id", "source_sha256", "line_no"),
)

listing_scores = Table(
    "listing_scores",
    metadata,
    Column("listing_id", Integer, ForeignKey("listings.id"), primary_key=True),
    Column("tenant_id", Integer, nullable=False),
    Column("change_seq", BigInteger, nullable=False),  # the listing version this score is for
    Column("score", Integer, nullable=False),
    Column("roi", Float),
    Column("cap_rate", Float),
    Column("breakdown", Text, nullable=False),  # JSON
    Column("reasoning", Text, nullable=False),
    Column("scorer", String(80), nullable=False),  # rules | the AI model id
    Column("prompt_sha256", String(64)),
    Column("fallback_reason", Text),
    Column("scored_at", DateTime(timezone=True), nullable=False),
)

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
    Column("matched_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("subscriber_id", "item_kind", "item_id"),
)

# The outbox (SPEC §3): queued → sending → sent | failed | unknown. The unique key makes a
# re-run or sensor replay unable to queue a second message for the same thing.
notifications = Table(
    "notifications",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("tenant_id", Integer, nullable=False),
    Column("subscriber_id", Integer, ForeignKey("subscribers.id"), nullable=False),
    Column("item_kind", String(10), nullable=False),  # listing | lead | welcome
    Column("item_id", Integer, nullable=False),
    Column("channel", String(8), nullable=False),  # email | sms | voice | webhook
    Column("template", String(40), nullable=False),
    Column("state", String(8), nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("idempotency_key", String(64), nullable=False, unique=True),
    Column("provider_message_id", Text),
    Column("last_error", Text),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Column("sent_at", DateTime(timezone=True)),
    UniqueConstraint("subscriber_id", "item_kind", "item_id", "channel"),
    Index(None, "channel", "state", "id"),
)
