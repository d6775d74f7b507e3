"""Partition-scoped staging: delete the partition's rows, insert the new ones, in one
transaction. Re-running a partition rewrites it identically; a failure mid-load rolls
back to the previous state."""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl
from sqlalchemy import Connection, Engine, Table, delete

from pipelines.county.addresses import owner_key, street_parts, unit_key
from pipelines.county.match_keys import KEY_COLUMNS
from pipelines.county.parse import ParseResult
from pipelines.db.bulk import bulk_insert
from pipelines.db.schema import STAGED_TABLES, quarantine
from pipelines.db.schema.layouts import FileLayout


class LayoutTableMismatch(ValueError):
    pass


@dataclass(frozen=True)
class StageCounts:
    staged: int
    quarantined: int


def derive_columns(layout: FileLayout, rows: pl.DataFrame) -> pl.DataFrame:
    """Columns we compute from the file's own (see DERIVED_COLUMNS in tables.py)."""
    if layout.file_type == "official_records":
        rows = _document_columns(rows)
        street, unit = street_parts(pl.col("address"))
        return rows.with_columns(
            street.alias("address_key"),
            unit.alias("unit_key"),
            owner_key(pl.col("grantee")).alias("grantee_key"),
        )
    spec = KEY_COLUMNS.get(layout.file_type)
    if spec is not None:
        street, unit = street_parts(pl.col(spec.address_col))
        if spec.unit_col:  # a unit column, when filled, beats one parsed from the street line
            unit = pl.coalesce(unit_key(pl.col(spec.unit_col)), unit)
        name = owner_key(pl.col(spec.name_col)) if spec.name_col else pl.lit(None, dtype=pl.String)
        return rows.with_columns(
            street.alias("address_key"), unit.alias("unit_key"), name.alias("owner_key")
        )
    return rows


def _document_columns(rows: pl.DataFrame) -> pl.DataFrame:
    """`cfn` (zero-padded so text order is numeric order), and per (cfn, folio) in the file:
    `document_head` on its lowest party_seq row, which carries the document, and `grantee`,
    its first party-code-R name. Computed once here so the merge and the lead rules read
    documents with a filter instead of re-sorting every party row."""
    doc = ["cfn", "folio"]
    rows = rows.with_columns(
        pl.format(
            "{}-{}", pl.col("cfn_year"), pl.col("cfn_seq").cast(pl.String).str.zfill(7)
        ).alias("cfn")
    )
    by_party = rows.sort("party_seq", "line_no")
    heads = by_party.group_by(doc, maintain_order=True).agg(
        pl.col("line_no").first().alias("_head")
    )
    grantees = (
        by_party.filter((pl.col("party_code") == "R") & pl.col("first_party").is_not_null())
        .group_by(doc, maintain_order=True)
        .agg(pl.col("first_party").first().alias("grantee"))
    )
    return (
        rows.join(heads, on=doc, how="left", nulls_equal=True)
        .join(grantees, on=doc, how="left", nulls_equal=True)
        .with_columns((pl.col("line_no") == pl.col("_head")).alias("document_head"))
        .drop("_head")
        .sort("line_no")
    )


def with_lineage(
    layout: FileLayout,
    parsed: ParseResult,
    partition_key: str,
    source_file: str,
    source_sha256: str,
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The parsed rows with their derived columns, and the quarantined ones, each stamped
    with where they came from (partition, source file, its sha256)."""
    lineage = [
        pl.lit(partition_key).alias("partition_key"),
        pl.lit(source_file).alias("source_file"),
        pl.lit(source_sha256).alias("source_sha256"),
    ]
    rows = derive_columns(layout, parsed.rows).with_columns(lineage)
    bad = parsed.quarantine.with_columns(*lineage, pl.lit(layout.file_type).alias("file_type"))
    return rows, bad


def stage_partition(
    engine: Engine,
    layout: FileLayout,
    partition_key: str,
    source_file: str,
    source_sha256: str,
    parsed: ParseResult,
) -> StageCounts:
    table = STAGED_TABLES[layout.file_type]
    unknown = [c.name for c in layout.kept if c.name not in table.c]
    if unknown:
        raise LayoutTableMismatch(
            f"layout {layout.file_type!r} names columns {unknown} that table {table.name} does "
            f"not have; "
            f"mark them `skip = true` or add a migration"
        )
    rows, bad = with_lineage(layout, parsed, partition_key, source_file, source_sha256)
    with engine.begin() as conn:
        conn.execute(delete(table).where(table.c.partition_key == partition_key))
        conn.execute(
            delete(quarantine).where(
                quarantine.c.partition_key == partition_key,
                quarantine.c.file_type == layout.file_type,
            )
        )
        staged = bulk_insert(conn, table, rows)
        quarantined = bulk_insert(conn, quarantine, bad)
    return StageCounts(staged=staged, quarantined=quarantined)


def stage_source_file(
    conn: Connection,
    layout: FileLayout,
    table: Table,
    partition_key: str,
    source_file: str,
    source_sha256: str,
    parsed: ParseResult,
) -> StageCounts:
    """Replace one source's rows in `table` (not the whole partition), in the caller's
    transaction: how records fetched one call at a time are staged. Bad rows are
    quarantined exactly as a file's are."""
    rows, bad = with_lineage(layout, parsed, partition_key, source_file, source_sha256)
    for t in (table, quarantine):
        conn.execute(
            delete(t).where(t.c.partition_key == partition_key, t.c.source_file == source_file)
        )
    return StageCounts(
        staged=bulk_insert(conn, table, rows), quarantined=bulk_insert(conn, quarantine, bad)
    )
