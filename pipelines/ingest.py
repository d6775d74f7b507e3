"""One partition's ingestion steps as plain functions: fetch+land, parse+stage, merge, leads.

The Dagster assets are thin wrappers over these; the CLI, tests and benchmarks call
them too. Every stage writes a `data_ingestion_logs` row, failures included.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import polars as pl
from sqlalchemy import Engine

from pipelines.landing import LandedFile, land, latest_raw_file, record_raw_file, sha256_file
from pipelines.records.layouts import FileLayout
from pipelines.records.parse import ParseResult, parse_bytes
from pipelines.sources import FileSource, find
from pipelines.store.staging import StageCounts, stage_partition
from pipelines.store.tables import data_ingestion_logs


class MissingRawFileError(RuntimeError):
    pass


@dataclass
class StageReport:
    file_type: str
    partition_key: str
    source_file: str
    sha256: str
    counts: StageCounts
    parsed: ParseResult
    seconds: float
    preview: pl.DataFrame = field(repr=False, default=None)

    @property
    def quarantine_ratio(self) -> float:
        total = self.counts.staged + self.counts.quarantined
        return self.counts.quarantined / total if total else 0.0


def fetch_file(
    engine: Engine, source: FileSource, layout: FileLayout, partition_key: str, landing_dir: Path
) -> LandedFile | None:
    """Land the partition's file of this type; None when the source does not have it."""
    found = find(source.list_files(layout.cadence, partition_key), layout.file_name)
    if found is None:
        return None
    path, digest, size = land(lambda tmp: source.fetch(found, tmp), landing_dir, found.name)
    return record_raw_file(
        engine,
        cadence=layout.cadence,
        partition_key=partition_key,
        file_type=layout.file_type,
        file_name=found.relative_path,
        landing_path=path,
        sha256=digest,
        size_bytes=size,
        source_uri=found.uri,
    )


def _log(engine: Engine, **row) -> None:
    with engine.begin() as conn:
        conn.execute(data_ingestion_logs.insert().values(**row))


def stage_file(engine: Engine, layout: FileLayout, partition_key: str, run_id: str | None = None) -> StageReport:
    """Parse the partition's latest landed file and replace its staged rows (one transaction)."""
    started, t0 = datetime.now(timezone.utc), time.perf_counter()
    log = dict(run_id=run_id, cadence=layout.cadence, partition_key=partition_key, file_type=layout.file_type)
    raw = latest_raw_file(engine, layout.cadence, partition_key, layout.file_type)
    try:
        if raw is None:
            raise MissingRawFileError(
                f"no {layout.file_name} has been landed for {layout.cadence} partition {partition_key}; "
                f"materialise raw_{layout.file_type} first"
            )
        digest, _ = sha256_file(Path(raw["landing_path"]))
        if digest != raw["sha256"]:
            raise RuntimeError(f"landed file {raw['landing_path']} no longer matches its sha256 {raw['sha256']}")
        parsed = parse_bytes(Path(raw["landing_path"]).read_bytes(), layout, raw["file_name"])
        counts = stage_partition(engine, layout, partition_key, raw["file_name"], raw["sha256"], parsed)
    except Exception as exc:
        _log(engine, **log, status="failed", source_sha256=raw and raw["sha256"], started_at=started,
             finished_at=datetime.now(timezone.utc), duration_ms=int((time.perf_counter() - t0) * 1000),
             error=f"{type(exc).__name__}: {exc}")
        raise
    seconds = time.perf_counter() - t0
    _log(engine, **log, status="success", source_sha256=raw["sha256"], rows_read=parsed.lines_read,
         rows_staged=counts.staged, rows_quarantined=counts.quarantined,
         duplicates_collapsed=parsed.duplicates_collapsed, started_at=started,
         finished_at=datetime.now(timezone.utc), duration_ms=int(seconds * 1000))
    return StageReport(layout.file_type, partition_key, raw["file_name"], raw["sha256"], counts, parsed, seconds,
                       preview=parsed.rows.head(5))
