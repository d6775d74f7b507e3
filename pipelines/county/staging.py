"""Partition-scoped staging: delete the partition's rows, insert the new ones, in one
transaction. Re-running a partition rewrites it identically; a failure mid-load rolls
back to the previous state. The new rows come chunk by chunk (see chunks.py), so a file of
any size is staged in bounded memory."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import polars as pl
from sqlalchemy import Connection, Engine, Table, bindparam, delete, select, update

from pipelines.county.addresses import owner_key, street_parts, unit_key
from pipelines.county.chunks import fold
from pipelines.county.match_keys import KEY_COLUMNS
from pipelines.county.parse import ParseResult
from pipelines.db.bulk import BulkWriter, bulk_insert
from pipelines.db.schema import STAGED_TABLES, quarantine
from pipelines.db.schema.layouts import FileLayout


class LayoutTableMismatch(ValueError):
    pass


@dataclass(frozen=True)
class StageCounts:
    staged: int
    quarantined: int


@dataclass
class StageTotals:
    """What staging one file did, summed over its chunks."""

    staged: int = 0
    quarantined: int = 0
    lines_read: int = 0
    duplicates_collapsed: int = 0
    replaced_bytes: int = 0
    control_bytes_removed: int = 0
    # Rows written whose key another written row also has: counted as they are written (the
    # parser's rule makes it 0; the check reads this instead of scanning the table).
    duplicate_keys: int = 0
    preview: pl.DataFrame = field(default_factory=pl.DataFrame, repr=False)
    quarantine_head: pl.DataFrame = field(default_factory=pl.DataFrame, repr=False)

    @property
    def counts(self) -> StageCounts:
        return StageCounts(self.staged, self.quarantined)

    def add(
        self, layout: FileLayout, parsed: ParseResult, rows: pl.DataFrame, bad: pl.DataFrame
    ) -> None:
        # Keys of earlier chunks never reach a later chunk's rows (see parse.py), so the
        # duplicates among written rows are the sum of each chunk's.
        if rows.height:
            self.duplicate_keys += rows.height - rows.select(list(layout.key)).n_unique()
        self.staged += rows.height
        self.quarantined += bad.height
        self.lines_read += parsed.lines_read
        self.duplicates_collapsed += parsed.duplicates_collapsed
        self.replaced_bytes += parsed.replaced_bytes
        self.control_bytes_removed += parsed.control_bytes_removed
        if self.preview.height < 5:
            self.preview = _detached(parsed.rows.head(5))
        if self.quarantine_head.height < 5 and parsed.quarantine.height:
            self.quarantine_head = _detached(
                pl.concat(
                    [self.quarantine_head, parsed.quarantine.head(5)], how="diagonal_relaxed"
                ).head(5)
            )


def _detached(small: pl.DataFrame) -> pl.DataFrame:
    """A copy that owns its memory. `head()` is a view that keeps the whole chunk's buffers
    alive: a range run keeps one preview per partition, and those views held about 4 MB each
    (5.7 GB over a 5-year backfill)."""
    return pl.from_dicts(small.to_dicts(), schema=small.schema)


class DocumentMemory:
    """Documents (cfn, folio) of earlier chunks, as 64-bit hashes: a document whose party
    rows fall in two chunks got its head and grantee from each chunk's rows alone, so it is
    remembered as split and fixed from its stored rows before the load commits."""

    def __init__(self) -> None:
        self._seen: list[pl.Series] = []
        self.split: list[pl.DataFrame] = []

    def note(self, docs: pl.DataFrame) -> None:
        """`docs`: this chunk's distinct (cfn, folio)."""
        h = docs.select(pl.struct("cfn", "folio").hash()).to_series()
        for part in self._seen:
            hit = part.filter(part.is_in(h))
            if hit.len():
                self.split.append(docs.filter(h.is_in(hit)))
        self._seen = fold([*self._seen, h], len)


def _on_distinct(rows: pl.DataFrame, source: list[str], derived: dict[str, pl.Expr]):
    """`derived` columns computed once per distinct value of `source` (addresses and names
    repeat across a document's party rows and a property's documents), then joined back."""
    distinct = rows.select(source).unique().with_columns(**derived)
    return rows.join(distinct, on=source, how="left", nulls_equal=True, maintain_order="left")


def derive_columns(
    layout: FileLayout, rows: pl.DataFrame, docs: DocumentMemory | None = None
) -> pl.DataFrame:
    """Columns we compute from the file's own (see DERIVED_COLUMNS in tables.py)."""
    if layout.file_type == "official_records":
        rows = _document_columns(rows)
        if docs is not None:
            docs.note(rows.select("cfn", "folio").unique())
        street, unit = street_parts(pl.col("address"))
        rows = _on_distinct(rows, ["address"], {"address_key": street, "unit_key": unit})
        return _on_distinct(rows, ["grantee"], {"grantee_key": owner_key(pl.col("grantee"))})
    spec = KEY_COLUMNS.get(layout.file_type)
    if spec is not None:
        street, unit = street_parts(pl.col(spec.address_col))
        source = [spec.address_col]
        if spec.unit_col:  # a unit column, when filled, beats one parsed from the street line
            unit = pl.coalesce(unit_key(pl.col(spec.unit_col)), unit)
            source.append(spec.unit_col)
        rows = _on_distinct(rows, source, {"address_key": street, "unit_key": unit})
        if not spec.name_col:
            return rows.with_columns(pl.lit(None, dtype=pl.String).alias("owner_key"))
        name = owner_key(pl.col(spec.name_col))
        return _on_distinct(rows, [spec.name_col], {"owner_key": name})
    return rows


def _document_heads(rows: pl.DataFrame) -> pl.DataFrame:
    """Per (cfn, folio): `_head`, the line of its lowest party_seq row, and `grantee`, its
    first party-code-R name."""
    doc = ["cfn", "folio"]
    by_party = rows.sort("party_seq", "line_no")
    heads = by_party.group_by(doc, maintain_order=True).agg(
        pl.col("line_no").first().alias("_head")
    )
    grantees = (
        by_party.filter((pl.col("party_code") == "R") & pl.col("first_party").is_not_null())
        .group_by(doc, maintain_order=True)
        .agg(pl.col("first_party").first().alias("grantee"))
    )
    return heads.join(grantees, on=doc, how="left", nulls_equal=True)


def _document_columns(rows: pl.DataFrame) -> pl.DataFrame:
    """`cfn` (zero-padded so text order is numeric order), and per (cfn, folio) in the file:
    `document_head` on its lowest party_seq row, which carries the document, and `grantee`,
    its first party-code-R name. Computed once here so the merge and the lead rules read
    documents with a filter instead of re-sorting every party row."""
    rows = rows.with_columns(
        pl.format(
            "{}-{}", pl.col("cfn_year"), pl.col("cfn_seq").cast(pl.String).str.zfill(7)
        ).alias("cfn")
    )
    return (
        rows.join(_document_heads(rows), on=["cfn", "folio"], how="left", nulls_equal=True)
        .with_columns((pl.col("line_no") == pl.col("_head")).alias("document_head"))
        .drop("_head")
        .sort("line_no")
    )


def _fix_split_documents(
    conn: Connection, table: Table, partition_key: str, source_file: str, split: pl.DataFrame
) -> None:
    """Recompute head and grantee of documents whose rows fell in more than one chunk, from
    their stored rows (inside the load's transaction, so they are visible)."""
    t = table.c
    wanted = split.unique()
    q = select(t.line_no, t.cfn, t.folio, t.party_seq, t.party_code, t.first_party).where(
        t.partition_key == partition_key,
        t.source_file == source_file,
        t.cfn.in_(wanted["cfn"].unique().to_list()),
    )
    stored = pl.DataFrame(
        [dict(r) for r in conn.execute(q).mappings()],
        schema={
            "line_no": pl.Int64,
            "cfn": pl.String,
            "folio": pl.String,
            "party_seq": pl.Int64,
            "party_code": pl.String,
            "first_party": pl.String,
        },
    ).join(wanted, on=["cfn", "folio"], how="semi", nulls_equal=True)
    fixed = stored.join(
        _document_heads(stored), on=["cfn", "folio"], how="left", nulls_equal=True
    ).select(
        pl.col("line_no").alias("_line"),
        (pl.col("line_no") == pl.col("_head")).alias("document_head"),
        "grantee",
        owner_key(pl.col("grantee")).alias("grantee_key"),
    )
    if fixed.height:
        stmt = (
            update(table)
            .where(
                t.partition_key == partition_key,
                t.source_file == source_file,
                t.line_no == bindparam("_line"),
            )
            .values(
                document_head=bindparam("document_head"),
                grantee=bindparam("grantee"),
                grantee_key=bindparam("grantee_key"),
            )
        )
        conn.execute(stmt, fixed.to_dicts())


def _lineage(partition_key: str, source_file: str, source_sha256: str) -> list[pl.Expr]:
    return [
        pl.lit(partition_key).alias("partition_key"),
        pl.lit(source_file).alias("source_file"),
        pl.lit(source_sha256).alias("source_sha256"),
    ]


def with_lineage(
    layout: FileLayout,
    parsed: ParseResult,
    partition_key: str,
    source_file: str,
    source_sha256: str,
    docs: DocumentMemory | None = None,
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The parsed rows with their derived columns, and the quarantined ones, each stamped
    with where they came from (partition, source file, its sha256)."""
    lineage = _lineage(partition_key, source_file, source_sha256)
    rows = derive_columns(layout, parsed.rows, docs).with_columns(lineage)
    bad = parsed.quarantine.with_columns(*lineage, pl.lit(layout.file_type).alias("file_type"))
    return rows, bad


def check_layout_table(layout: FileLayout) -> Table:
    table = STAGED_TABLES[layout.file_type]
    unknown = [c.name for c in layout.kept if c.name not in table.c]
    if unknown:
        raise LayoutTableMismatch(
            f"layout {layout.file_type!r} names columns {unknown} that table {table.name} does "
            f"not have; "
            f"mark them `skip = true` or add a migration"
        )
    return table


def stage_partition(
    engine: Engine,
    layout: FileLayout,
    partition_key: str,
    source_file: str,
    source_sha256: str,
    chunks: Iterable[ParseResult],
    before_commit: Callable[[StageTotals], None] | None = None,
) -> StageTotals:
    """Replace the partition's rows with the file's, chunk by chunk, in one transaction:
    each chunk is written (COPY on PostgreSQL, on a second thread, while the next chunk is
    parsed) before the next is read, so memory holds a few chunks, never the file.
    `before_commit` may still refuse the whole load (it sees the totals)."""
    table = check_layout_table(layout)
    totals = StageTotals()
    docs = DocumentMemory() if layout.file_type == "official_records" else None
    with engine.begin() as conn:
        conn.execute(delete(table).where(table.c.partition_key == partition_key))
        conn.execute(
            delete(quarantine).where(
                quarantine.c.partition_key == partition_key,
                quarantine.c.file_type == layout.file_type,
            )
        )
        with BulkWriter(conn) as writer:
            for parsed in chunks:
                rows, bad = with_lineage(
                    layout, parsed, partition_key, source_file, source_sha256, docs
                )
                writer.write(table, rows)
                writer.write(quarantine, bad)
                totals.add(layout, parsed, rows, bad)
        if docs is not None and docs.split:
            _fix_split_documents(conn, table, partition_key, source_file, pl.concat(docs.split))
        if before_commit is not None:
            before_commit(totals)
    return totals


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
