"""County files: what was landed (raw_files), the staged rows of every layout, the quarantine,
the ingestion log, and the merged `properties`."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Date,
    Index,
    Integer,
    Numeric,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    UniqueConstraint,
    text,
)

from pipelines.db.schema.base import metadata
from pipelines.db.schema.layouts import DEFAULT_LAYOUTS_FILE, FileLayout, load_layouts
from pipelines.db.types import Timestamp

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
    **{
        ft: _match_keys()
        for ft in ("evictions", "indebtedness", "probate", "verdicts", "property_roll")
    },
}

# Each index costs load time on every partition (measured: benchmarks/ingest.py), so only
# what a query uses: the CLP lookup that closes foreclosures reads a partial index.
STAGED_INDEXES = {
    "official_records": [(("folio",), "doc_type = 'CLP'")],
    "cases": [(("case_number",), None)],
}


def _staged_table(layout: FileLayout, name: str | None = None) -> Table:
    cols = [
        Column("partition_key", String(10), nullable=False),
        Column("source_file", String(255), nullable=False),
        Column("line_no", Integer, nullable=False),
        Column("source_sha256", String(64), nullable=False),
    ]
    cols += [Column(c.name, _SQL_TYPES[c.type]) for c in layout.kept]
    cols += [c.copy() for c in DERIVED_COLUMNS.get(layout.file_type, [])]
    table = Table(
        name or layout.table,
        metadata,
        *cols,
        PrimaryKeyConstraint("partition_key", "source_file", "line_no"),
    )
    if name:
        return table  # a second table of this layout (lookups): no bulk-load indexes
    for cols, where in STAGED_INDEXES.get(layout.file_type, []):
        cond = (
            {} if where is None else {"postgresql_where": text(where), "sqlite_where": text(where)}
        )
        Index(
            f"ix_{layout.table}_{'_'.join(cols)}{'_partial' if where else ''}",
            *(table.c[n] for n in cols),
            **cond,
        )
    return table


_DEFAULT_LAYOUTS = load_layouts(str(DEFAULT_LAYOUTS_FILE))
STAGED_TABLES: dict[str, Table] = {
    ft: _staged_table(layout) for ft, layout in _DEFAULT_LAYOUTS.items()
}

# Documents fetched one at a time from the county's Official Records API (on-demand
# lookups): the OfficialRecords layout, so they are parsed, normalised and merged exactly as
# the bulk file's rows are. partition_key = the county day of the call; source_file =
# `records_api/<call id>` (docs/domain.md#lookups).
staged_lookup_records = _staged_table(_DEFAULT_LAYOUTS["official_records"], "staged_lookup_records")

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
    Column("source_uri", Text, nullable=False),
    # Where the file is kept (the archive); NULL only for files landed before migration 0002.
    Column("archive_uri", Text),
    Column("fetched_at", Timestamp(), nullable=False),
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
    # From the property appraiser's roll (docs/domain.md#property-roll): the owner's mailing
    # address (an out-of-state owner is an absentee owner) and the parcel's facts. The
    # clerk's documents still decide owner and last sale; the roll's own sale is kept apart.
    Column("owner_mailing_state", String(2)),
    Column("owner_mailing_address", Text),
    Column("owner_mailing_city", Text),
    Column("owner_mailing_zip", String(10)),
    Column("land_use", Text),
    Column("bedrooms", Integer),
    Column("bathrooms", Numeric(4, 1)),
    Column("living_sqft", Integer),
    Column("year_built", Integer),
    Column("lot_sqft", Integer),
    Column("assessed_value", Numeric(14, 2)),
    Column("market_value", Numeric(14, 2)),
    Column("homestead", Boolean),
    Column("roll_sale_date", Date),
    Column("roll_sale_price", Numeric(14, 2)),
    Column("roll_partition", String(10)),  # the roll these facts came from (newest wins)
    Column("first_seen_at", Timestamp(), nullable=False),
    Column("updated_at", Timestamp(), nullable=False),
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
    Column("started_at", Timestamp(), nullable=False),
    Column("finished_at", Timestamp(), nullable=False),
    Column("duration_ms", Integer, nullable=False),
    Column("error", Text),
    Index(None, "partition_key", "file_type"),
)
