"""Launching the ingestion job for a partition or a range, in-process, recorded in the instance.

Used by the CLI. A range is one run (single-run backfill: the range tags), exactly
as a backfill launched from the UI with the assets' single-run policy would be.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

from dagster import DagsterInstance, execute_job, partition_loading_context
from dagster._core.definitions.reconstruct import ReconstructableRepository
from dagster._core.storage.tags import (
    ASSET_PARTITION_RANGE_END_TAG,
    ASSET_PARTITION_RANGE_START_TAG,
    PARTITION_NAME_TAG,
)

from pipelines.partitions import PARTITIONS_BY_CADENCE
from pipelines.records.layouts import layouts_for
from pipelines.settings import get_settings
from pipelines.sources import FileSource, find

PROJECT_ROOT = Path(__file__).resolve().parents[1]

JOBS_BY_CADENCE = {"daily": "daily_ingestion", "weekly": "weekly_ingestion", "monthly": "monthly_ingestion"}
PARTITION_WORDS = {"daily": "partitions are business days", "weekly": "partitions are weeks keyed by their Monday",
                   "monthly": "partitions are months (YYYY-MM)"}


def partition_key_for(cadence: str, day: date) -> str:
    """The partition a date names: itself (daily), its week's Monday, its month."""
    if cadence == "weekly":
        return (day - timedelta(days=day.weekday())).isoformat()
    if cadence == "monthly":
        return day.strftime("%Y-%m")
    return day.isoformat()


class PartitionError(ValueError):
    """A partition the user asked for that does not exist or cannot run; says which and why."""


@dataclass
class RunOutcome:
    run_id: str
    success: bool
    partition_keys: list[str]
    error: str | None = None


def partition_keys(cadence: str, start: date, end: date) -> list[str]:
    pdef = PARTITIONS_BY_CADENCE[cadence]
    lo, hi = start.isoformat(), end.isoformat()
    with partition_loading_context(effective_dt=datetime.now(timezone.utc)):
        # Monthly keys (YYYY-MM) compare with the dates' first 7 characters.
        keys = [k for k in pdef.get_partition_keys() if lo[: len(k)] <= k <= hi[: len(k)]]
        first, last = pdef.get_first_partition_key(), pdef.get_last_partition_key()
    if not keys:
        raise PartitionError(
            f"no complete {cadence} partition between {start} and {end}: {PARTITION_WORDS[cadence]} "
            f"from {first} to {last} (a partition is complete once it has ended in the county's time zone)"
        )
    return keys


def missing_files(source: FileSource, cadence: str, keys: list[str]) -> list[str]:
    """`partition: file` for every expected file the source does not have (a pre-flight check,
    so the CLI can say what is missing instead of waiting out the job's retries)."""
    out = []
    for key in keys:
        files = source.list_files(cadence, key)
        if any(f.name.lower().endswith(".zip") for f in files):
            continue  # members of a zip are only known once it is fetched: let the run look
        out += [f"{key}: {lay.file_name}" for lay in layouts_for(cadence) if find(files, lay.file_name) is None]
    return out


def _failure_messages(result) -> list[str]:
    out = []
    for event in result.all_events:
        if event.is_step_failure and event.step_failure_data.error:
            out.append(f"{event.step_key}: {event.step_failure_data.error.message.strip()}")
        elif event.is_run_failure and not out:
            out.append(event.message or "run failed")
    return out


def _execute(job_name: str, instance: DagsterInstance, keys: list[str], log_level: str,
             partition_key: str | None = None, tags: dict[str, str] | None = None,
             run_config: dict | None = None) -> RunOutcome:
    """One run of a job from the code location, recorded in `instance`.

    In-process by default (fast, one process). With a configured executor (FOLIO_EXECUTOR=
    celery) the job is executed through its own executor, so steps run on the workers."""
    from pipelines.definitions import defs

    config = {**(run_config or {}), "loggers": {"console": {"config": {"log_level": log_level}}}}
    if get_settings().executor == "multiprocess":
        result = defs.resolve_job_def(job_name).execute_in_process(
            run_config=config, instance=instance, raise_on_error=False, partition_key=partition_key,
            tags=tags or None)
    else:
        recon = ReconstructableRepository.for_module("pipelines.definitions", "defs", str(PROJECT_ROOT))
        all_tags = {**(tags or {}), **({PARTITION_NAME_TAG: partition_key} if partition_key else {})}
        result = execute_job(recon.get_reconstructable_job(job_name), instance, run_config=config,
                             tags=all_tags or None)
    error = None if result.success else "; ".join(_failure_messages(result)) or "run failed"
    return RunOutcome(result.run_id, result.success, keys, error)


def rerun(instance: DagsterInstance, job_name: str, tags: dict[str, str], log_level: str = "WARNING") -> RunOutcome:
    """Run a job again for the same partition (or partition range) as an earlier run had."""
    ranged = {k: v for k, v in tags.items() if k in (ASSET_PARTITION_RANGE_START_TAG, ASSET_PARTITION_RANGE_END_TAG)}
    partition = tags.get("dagster/partition")
    return _execute(job_name, instance, [partition] if partition else [], log_level, partition, ranged)


def run_job(instance: DagsterInstance, job_name: str, log_level: str = "WARNING") -> RunOutcome:
    """An unpartitioned job (lead scoring, cleanup), in-process."""
    return _execute(job_name, instance, [], log_level)


def run_partitions(
    instance: DagsterInstance, cadence: str, keys: list[str], log_level: str = "WARNING"
) -> RunOutcome:
    """One partition, or a range as one run (single-run backfill: the range tags)."""
    job_name = JOBS_BY_CADENCE[cadence]
    if len(keys) == 1:
        return _execute(job_name, instance, keys, log_level, partition_key=keys[0])
    tags = {ASSET_PARTITION_RANGE_START_TAG: keys[0], ASSET_PARTITION_RANGE_END_TAG: keys[-1]}
    return _execute(job_name, instance, keys, log_level, tags=tags)


@dataclass
class TickOutcome:
    cursor: str | None
    runs: list[RunOutcome]
    skipped_run_keys: list[str]
    skip_reason: str | None = None


def tick_sensor(instance: DagsterInstance, sensor_name: str, cursor: str | None,
                log_level: str = "WARNING") -> TickOutcome:
    """One evaluation of a sensor, its run requests executed like every CLI run (in-process, or
    through the configured executor), as the daemon would launch them: a run_key already in
    the instance is dropped. For the demo, the listings benchmark and tests; in production
    the daemon ticks sensors."""
    from dagster import build_sensor_context
    from dagster._core.storage.dagster_run import RunsFilter
    from dagster._core.storage.tags import RUN_KEY_TAG, SENSOR_NAME_TAG

    from pipelines.definitions import defs

    sensor_def = defs.resolve_sensor_def(sensor_name)
    with build_sensor_context(instance=instance, cursor=cursor, definitions=defs,
                              resources=dict(defs.resources or {})) as context:
        data = sensor_def.evaluate_tick(context)
    runs, skipped = [], []
    for request in data.run_requests or []:
        key = request.run_key
        if key and instance.get_runs(RunsFilter(tags={RUN_KEY_TAG: key, SENSOR_NAME_TAG: sensor_name}), limit=1):
            skipped.append(key)
            continue
        tags = {**request.tags, SENSOR_NAME_TAG: sensor_name, **({RUN_KEY_TAG: key} if key else {})}
        runs.append(_execute(request.job_name or sensor_def.job_name, instance, [], log_level, tags=tags,
                             run_config=dict(request.run_config or {})))
    return TickOutcome(data.cursor if data.cursor is not None else cursor, runs, skipped,
                       data.skip_message)
