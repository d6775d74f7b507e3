"""One partition's ingestion steps as plain functions: fetch+land+archive, parse+stage.

The Dagster assets are thin wrappers over these; the CLI, tests and benchmarks call
them too. Every staging writes a `data_ingestion_logs` row, failures included.
"""

from __future__ import annotations

import hashlib
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

from sqlalchemy import Engine, select

from pipelines import clock
from pipelines.county.landing import LandedFile, land, latest_raw_file, record_raw_file
from pipelines.county.parse import FileUnreadableError, parse_file
from pipelines.county.partition_keys import last_day
from pipelines.county.sources import FileSource, SourceFile, SourceFileMissing, find
from pipelines.county.sources.zips import ZipLimits, extract_member, find_member, safe_members
from pipelines.county.staging import StageCounts, StageTotals, stage_partition
from pipelines.db.schema import data_ingestion_logs
from pipelines.db.schema.layouts import FileLayout
from pipelines.settings import get_settings
from pipelines.stores.archive import ArchiveStore, archive_key


class MissingRawFileError(RuntimeError):
    pass


def refuse_useless(totals: StageTotals, file_name: str, partition_key: str) -> None:
    """A file that would replace a partition with nothing is refused before anything is
    written, so the partition keeps its previous rows: one with no data line at all (only
    blank lines: refused like an empty file), and one whose every row is quarantined (the
    quarantine_ratio check at 100%)."""
    keep = f"partition {partition_key} keeps its previous rows"
    if totals.lines_read == 0:
        raise FileUnreadableError(
            f"{file_name}: no data rows (only blank lines): refused like an empty file; {keep}"
        )
    if totals.staged == 0 and totals.quarantined:
        first, n = totals.quarantine_head.row(0, named=True), totals.quarantined
        raise FileUnreadableError(
            f"quarantine_ratio: all {n} rows of {file_name} were quarantined "
            f"(line {first['line_no']}: {first['reason']}); {keep}"
        )


@dataclass
class StageReport:
    """One partition's staging: which file, how long, and what it did (`totals`; all zero
    when the same file was already staged and nothing was rewritten)."""

    file_type: str
    partition_key: str
    source_file: str
    sha256: str
    seconds: float
    totals: StageTotals = field(default_factory=StageTotals)
    restaged: bool = True  # False: the same file was already staged, nothing rewritten

    @property
    def counts(self) -> StageCounts:
        return self.totals.counts

    @property
    def quarantine_ratio(self) -> float:
        total = self.counts.staged + self.counts.quarantined
        return self.counts.quarantined / total if total else 0.0


@dataclass(frozen=True)
class Located:
    relative_path: str
    uri: str
    fetch: Callable[[Path], object]


def _locate(
    source: FileSource, files: list[SourceFile], file_name: str, scratch: Path
) -> Located | None:
    """The file itself, else a member of a zip in the same folder (checked before use)."""
    found = find(files, file_name)
    if found is not None:
        return Located(found.relative_path, found.uri, lambda tmp: source.fetch(found, tmp))
    settings = get_settings()
    limits = ZipLimits(settings.zip_max_total_bytes, settings.zip_max_ratio)
    for z in (f for f in files if f.name.lower().endswith(".zip")):
        local = source.fetch(z, scratch / z.name)
        member = find_member(safe_members(local, z.relative_path, limits), file_name)
        if member is not None:
            return Located(
                f"{z.relative_path}!{member}",
                f"{z.uri}!{member}",
                lambda tmp, local=local, member=member, label=z.relative_path: extract_member(
                    local, member, tmp, limits, label
                ),
            )
    return None


def fetch_file(
    engine: Engine,
    source: FileSource,
    layout: FileLayout,
    partition_key: str,
    landing_dir: Path,
    archive: ArchiveStore,
) -> LandedFile | None:
    """Land and archive the partition's file of this type; None when the source lacks it."""
    files = source.list_files(layout.cadence, partition_key)
    with tempfile.TemporaryDirectory(dir=_mkdir(landing_dir), prefix=".zips-") as scratch:
        located = _locate(source, files, layout.file_name, Path(scratch))
        if located is None:
            return None
        t0 = time.perf_counter()
        try:
            path, digest, size = land(located.fetch, landing_dir, Path(located.relative_path).name)
        except SourceFileMissing:  # listed, then gone before we could fetch it
            return None
        seconds = time.perf_counter() - t0
    key = archive_key(layout.cadence, partition_key, digest, path.name)
    archive_uri = archive.put(path, key)
    path.unlink(missing_ok=True)  # landing is a waiting room: the archive keeps the file
    landed = record_raw_file(
        engine,
        cadence=layout.cadence,
        partition_key=partition_key,
        file_type=layout.file_type,
        file_name=located.relative_path,
        sha256=digest,
        size_bytes=size,
        source_uri=located.uri,
        archive_uri=archive_uri,
    )
    landed.download_seconds = seconds
    return landed


def _mkdir(p: Path) -> Path:
    p.mkdir(parents=True, exist_ok=True)
    return p


def _log(engine: Engine, **row) -> None:
    with engine.begin() as conn:
        conn.execute(data_ingestion_logs.insert().values(**row))


def _last_staged_sha(engine: Engine, layout: FileLayout, partition_key: str) -> str | None:
    log = data_ingestion_logs.c
    q = (
        select(log.source_sha256)
        .where(
            log.cadence == layout.cadence,
            log.partition_key == partition_key,
            log.file_type == layout.file_type,
            log.status.in_(("success", "unchanged")),
        )
        .order_by(log.id.desc())
        .limit(1)
    )
    with engine.connect() as conn:
        return conn.execute(q).scalar()


def _archived_copy(raw: dict, archive: ArchiveStore, scratch: Path) -> Path:
    """The landed file, fetched from where raw_files says it is kept. (Files landed before
    archive_uri existed are found by their archive key.)"""
    name = Path(raw["file_name"]).name
    if raw["archive_uri"]:
        return archive.get_uri(raw["archive_uri"], scratch / name)
    return archive.get(
        archive_key(raw["cadence"], raw["partition_key"], raw["sha256"], name), scratch / name
    )


def stage_file(
    engine: Engine,
    layout: FileLayout,
    partition_key: str,
    archive: ArchiveStore,
    run_id: str | None = None,
    force: bool = False,
) -> StageReport:
    """Parse the partition's latest landed file and replace its staged rows (one transaction).
    A file already staged for this partition (same sha256) is not re-staged unless `force`."""
    started, t0 = clock.now(), time.perf_counter()
    log = dict(
        run_id=run_id,
        cadence=layout.cadence,
        partition_key=partition_key,
        file_type=layout.file_type,
    )
    raw = latest_raw_file(engine, layout.cadence, partition_key, layout.file_type)

    def finish(status: str, **extra) -> None:
        _log(
            engine,
            **log,
            status=status,
            source_sha256=raw and raw["sha256"],
            started_at=started,
            finished_at=clock.now(),
            duration_ms=int((time.perf_counter() - t0) * 1000),
            **extra,
        )

    try:
        if raw is None and layout.optional:  # not delivered for this partition
            finish("absent")
            return StageReport(
                layout.file_type, partition_key, "", "", time.perf_counter() - t0, restaged=False
            )
        if raw is None:
            raise MissingRawFileError(
                f"no {layout.file_name} has been landed for {layout.cadence} partition "
                f"{partition_key}; "
                f"materialise raw_{layout.file_type} first"
            )
        if not force and _last_staged_sha(engine, layout, partition_key) == raw["sha256"]:
            finish("unchanged")
            return StageReport(
                layout.file_type,
                partition_key,
                raw["file_name"],
                raw["sha256"],
                time.perf_counter() - t0,
                restaged=False,
            )
        settings = get_settings()
        latest = last_day(layout.cadence, partition_key) + timedelta(
            days=settings.future_date_grace_days
        )
        digest = hashlib.sha256()

        def before_commit(totals: StageTotals) -> None:
            # The bytes were hashed as they were parsed: a mismatch rolls the load back.
            if digest.hexdigest() != raw["sha256"]:
                raise RuntimeError(
                    f"archived {raw['file_name']} no longer matches its sha256 {raw['sha256']}"
                )
            refuse_useless(totals, raw["file_name"], partition_key)

        with tempfile.TemporaryDirectory() as scratch:
            path = _archived_copy(raw, archive, Path(scratch))
            chunks = parse_file(
                path,
                layout,
                raw["file_name"],
                latest,
                digest,
                settings.stage_chunk_bytes,
                max_line_bytes=settings.max_line_bytes,
            )
            totals = stage_partition(
                engine,
                layout,
                partition_key,
                raw["file_name"],
                raw["sha256"],
                chunks,
                before_commit,
            )
    except Exception as exc:
        finish("failed", error=f"{type(exc).__name__}: {exc}")
        raise
    finish(
        "success",
        rows_read=totals.lines_read,
        rows_staged=totals.staged,
        rows_quarantined=totals.quarantined,
        duplicates_collapsed=totals.duplicates_collapsed,
    )
    return StageReport(
        layout.file_type,
        partition_key,
        raw["file_name"],
        raw["sha256"],
        time.perf_counter() - t0,
        totals,
    )


def stage_files(
    engine: Engine,
    layout: FileLayout,
    partition_keys: list[str],
    archive: ArchiveStore,
    run_id: str | None = None,
    force: bool = False,
    progress: Callable[[int, str], None] | None = None,
) -> list[StageReport]:
    """`stage_file` for each partition, in key order. On PostgreSQL, FOLIO_STAGE_WORKERS
    partitions at a time (each its own transaction; a backfill of small daily files is
    mostly per-file waits that overlap well). After a failure no new partition starts; those
    already committed stay committed, so the rerun skips them. `progress(done, key)` is
    called as each partition finishes."""
    workers = get_settings().stage_workers if engine.dialect.name == "postgresql" else 1
    reports: dict[str, StageReport] = {}

    def finished(key: str, report: StageReport) -> None:
        reports[key] = report
        if progress is not None:
            progress(len(reports), key)

    if workers <= 1 or len(partition_keys) <= 1:
        for key in partition_keys:
            finished(key, stage_file(engine, layout, key, archive, run_id, force))
        return [reports[k] for k in partition_keys]
    todo = iter(partition_keys)
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="stage") as pool:
        running: dict = {}

        def start_next() -> None:
            key = next(todo, None)
            if key is not None:
                running[pool.submit(stage_file, engine, layout, key, archive, run_id, force)] = key

        for _ in range(workers):
            start_next()
        while running:
            done, _ = wait(running, return_when=FIRST_COMPLETED)
            for future in done:
                finished(running.pop(future), future.result())  # a failure ends the loop
                start_next()
    return [reports[k] for k in partition_keys]
