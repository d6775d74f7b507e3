"""90-day retention (docs/domain.md#retention): staged rows, quarantine, matches, ingestion logs,
delivery attempts (every channel).

Every delete is a bounded batch in its own transaction — one partition of a staged
table, or at most `batch_rows` log rows — so a cleanup killed half-way has lost nothing
and the next run finishes the job. Delivery attempts are first written to the archive store
as Parquet (one file per batch, named by its id range, so a re-run after a kill between
archive and delete rewrites the same file) and deleted only after the write succeeded.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from pathlib import Path

import polars as pl
from sqlalchemy import Engine, Table, delete, select

from pipelines.county.partition_keys import first_day
from pipelines.db.schema import (
    STAGED_TABLES,
    compliance_blocks,
    data_ingestion_logs,
    delivery_attempts,
    quarantine,
    record_matches,
    records_api_log,
    staged_lookup_records,
)
from pipelines.stores.archive import ArchiveStore


@dataclass
class CleanupCounts:
    deleted: dict[str, int] = field(default_factory=dict)
    archived_files: list[str] = field(default_factory=list)
    batches: int = 0
    finished: bool = True

    def add(self, table: str, n: int) -> None:
        self.deleted[table] = self.deleted.get(table, 0) + n


class _Budget(Exception):
    """Raised when `max_batches` is spent (tests use it to stop a cleanup half-way)."""


def cleanup(
    engine: Engine,
    archive: ArchiveStore,
    today: date,
    retention_days: int = 90,
    batch_rows: int = 5_000,
    max_batches: int | None = None,
) -> CleanupCounts:
    cutoff = today - timedelta(days=retention_days)
    counts = CleanupCounts()

    def spend() -> None:
        counts.batches += 1
        if max_batches is not None and counts.batches > max_batches:
            raise _Budget

    try:
        for table in [*STAGED_TABLES.values(), staged_lookup_records, quarantine, record_matches]:
            _by_partition(engine, table, cutoff, counts, spend)
        _by_id(
            engine,
            data_ingestion_logs,
            data_ingestion_logs.c.started_at,
            cutoff,
            batch_rows,
            counts,
            spend,
        )
        for log in (records_api_log, compliance_blocks):
            _by_id(engine, log, log.c.created_at, cutoff, batch_rows, counts, spend)
        _delivery_attempts(engine, archive, cutoff, batch_rows, counts, spend)
    except _Budget:
        counts.batches -= 1
        counts.finished = False
    return counts


def _by_partition(engine: Engine, table: Table, cutoff: date, counts: CleanupCounts, spend) -> None:
    # A partition is past retention when it began before the cutoff.
    with engine.connect() as conn:
        keys = conn.execute(
            select(table.c.partition_key).distinct().order_by(table.c.partition_key)
        ).scalars()
        keys = [k for k in keys if first_day(k) < cutoff]
    for key in keys:
        spend()
        with engine.begin() as conn:
            counts.add(
                table.name, conn.execute(delete(table).where(table.c.partition_key == key)).rowcount
            )


def _old_ids(engine: Engine, table: Table, ts_col, cutoff: date, batch_rows: int) -> list[int]:
    limit_ts = datetime.combine(cutoff, time.min, tzinfo=timezone.utc)
    with engine.connect() as conn:
        return (
            conn.execute(
                select(table.c.id).where(ts_col < limit_ts).order_by(table.c.id).limit(batch_rows)
            )
            .scalars()
            .all()
        )


def _by_id(
    engine: Engine,
    table: Table,
    ts_col,
    cutoff: date,
    batch_rows: int,
    counts: CleanupCounts,
    spend,
) -> None:
    while ids := _old_ids(engine, table, ts_col, cutoff, batch_rows):
        spend()
        with engine.begin() as conn:
            counts.add(table.name, conn.execute(delete(table).where(table.c.id.in_(ids))).rowcount)


def _delivery_attempts(
    engine: Engine,
    archive: ArchiveStore,
    cutoff: date,
    batch_rows: int,
    counts: CleanupCounts,
    spend,
) -> None:
    log = delivery_attempts
    while ids := _old_ids(engine, log, log.c.created_at, cutoff, batch_rows):
        spend()
        with engine.connect() as conn:
            rows = conn.execute(select(log).where(log.c.id.in_(ids)).order_by(log.c.id)).all()
        frame = pl.DataFrame([dict(r._mapping) for r in rows], infer_schema_length=None)
        key = f"delivery_attempts/{ids[0]:012d}-{ids[-1]:012d}.parquet"
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "batch.parquet"
            frame.write_parquet(path)
            counts.archived_files.append(archive.put(path, key))
        with engine.begin() as conn:  # only once the archive holds them
            counts.add(
                "delivery_attempts",
                conn.execute(delete(log).where(log.c.id.in_(ids))).rowcount,
            )
