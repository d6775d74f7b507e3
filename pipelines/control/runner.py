"""Launching the ingestion job for a partition or a range, in-process, recorded in the instance.

Used by the CLI. A range is one run (single-run backfill: the range tags), exactly
as a backfill launched from the UI with the assets' single-run policy would be.
"""

from __future__ import annotations

import os
import re
import signal
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from dagster import (
    DagsterInstance,
    DagsterRunStatus,
    RunsFilter,
    build_reconstructable_job,
    build_sensor_context,
    execute_job,
    partition_loading_context,
)

from assets.partitions import PARTITIONS_BY_CADENCE
from pipelines import clock
from pipelines.control.dagster_private import (
    PARTITION_RANGE_END_TAG,
    PARTITION_RANGE_START_TAG,
    PARTITION_TAG,
    RUN_KEY_TAG,
    SENSOR_NAME_TAG,
)
from pipelines.control.submit import daemon_serves, submit, submit_and_follow
from pipelines.county.partition_keys import first_day, within
from pipelines.county.sources import FileSource, find
from pipelines.db.schema.layouts import layouts_for
from pipelines.settings import get_settings
from pipelines.upkeep.dead_letters import RETRY_OF_TAG
from sensors.orphaned_runs import LEGACY_TAGS, PROCESS_TAG, process_tags
from sensors.orphaned_runs import LIVE as LIVE_STATUSES

PROJECT_ROOT = Path(__file__).resolve().parents[2]

JOBS_BY_CADENCE = {
    "daily": "daily_ingestion",
    "weekly": "weekly_ingestion",
    "monthly": "monthly_ingestion",
}
PARTITION_WORDS = {
    "daily": "partitions are business days",
    "weekly": "partitions are weeks keyed by their Monday",
    "monthly": "partitions are months (YYYY-MM)",
}


class PartitionError(ValueError):
    """A partition the user asked for that does not exist or cannot run; says which and why."""


@dataclass
class RunOutcome:
    run_id: str
    success: bool
    partition_keys: list[str]
    error: str | None = None
    # where it ran: "in this process" (no daemon serves the instance) or "through the run
    # queue" (submitted; the daemon launched it)
    where: str = "in this process"


def partition_keys(cadence: str, start: date, end: date) -> list[str]:
    pdef = PARTITIONS_BY_CADENCE[cadence]
    with partition_loading_context(effective_dt=clock.now()):
        keys = [k for k in pdef.get_partition_keys() if within(k, start, end)]
        first, last = pdef.get_first_partition_key(), pdef.get_last_partition_key()
    if keys and start < first_day(first):
        # A range reaching back before the partitions would otherwise quietly become a
        # shorter one.
        raise PartitionError(
            f"{start} is before the first {cadence} partition, {first}: set "
            f"FOLIO_{cadence.upper()}_START_DATE (and restart the daemon and the UI) to "
            f"ingest earlier {cadence} files"
        )
    if not keys:
        raise PartitionError(
            f"no complete {cadence} partition between {start} and {end}: "
            f"{PARTITION_WORDS[cadence]} "
            f"from {first} to {last} (a partition is complete once it has ended in the county's "
            f"time zone)"
        )
    return keys


def partition_keys_between(cadence: str, first: str, last: str) -> list[str]:
    """The partition keys of a range run, from its first and last key (key order is time
    order for every cadence's key format)."""
    pdef = PARTITIONS_BY_CADENCE[cadence]
    with partition_loading_context(effective_dt=clock.now()):
        return [k for k in pdef.get_partition_keys() if first <= k <= last]


def missing_files(source: FileSource, cadence: str, keys: list[str]) -> list[str]:
    """`partition: file` for every expected file the source does not have (a pre-flight check,
    so the CLI can say what is missing instead of waiting out the job's retries)."""
    out = []
    for key in keys:
        files = source.list_files(cadence, key)
        if any(f.name.lower().endswith(".zip") for f in files):
            continue  # members of a zip are only known once it is fetched: let the run look
        out += [
            f"{key}: {lay.file_name}"
            for lay in layouts_for(cadence)
            if find(files, lay.file_name) is None
        ]
    return out


_CLASS_PATH = re.compile(r"[a-z_][\w]*(\.[\w]+)*\.[A-Z]\w*")


def one_line(message: str) -> str:
    """An error message as one line: whitespace folded, a leading `module.Class: ` dropped
    (the class is in the run's logs; the reason is what the operator needs)."""
    text = " ".join(message.split())
    head, sep, rest = text.partition(": ")
    if sep and _CLASS_PATH.fullmatch(head):
        text = rest
    return text


def _failure_messages(events) -> list[str]:
    out = []
    for event in events:
        if event.is_step_failure and event.step_failure_data.error:
            data = event.step_failure_data
            # A Failure raised on purpose carries the reason as its description; an
            # unexpected error, its message (the class and the stack stay in the run's logs).
            reason = data.user_failure_data.description if data.user_failure_data else None
            out.append(f"{event.step_key}: {one_line(reason or data.error.message)}")
        elif event.is_run_failure and not out:
            out.append(event.message or "run failed")
    return out


def _execute(
    job_name: str,
    instance: DagsterInstance,
    keys: list[str],
    log_level: str,
    partition_key: str | None = None,
    tags: dict[str, str] | None = None,
    run_config: dict | None = None,
    progress: Callable[[], None] | None = None,
) -> RunOutcome:
    """One run of a job from the code location, recorded in `instance`. `progress` is called
    in this thread every fraction of a second while the run works (the CLI's bar).

    In-process by default (fast, one process). With a configured executor (FOLIO_EXECUTOR=
    celery) the job is executed through its own executor, so steps run on the workers."""
    from pipelines.location.definitions import defs

    config = {**(run_config or {}), "loggers": {"console": {"config": {"log_level": log_level}}}}
    if daemon_serves(instance):
        return _through_the_queue(job_name, instance, keys, partition_key, tags, config, progress)
    tags = {**(tags or {}), **process_tags()}  # so a run whose process dies can be told apart

    def execute():
        if get_settings().executor != "celery":
            return defs.resolve_job_def(job_name).execute_in_process(
                run_config=config,
                instance=instance,
                raise_on_error=False,
                partition_key=partition_key,
                tags=tags or None,
            )
        recon = build_reconstructable_job(
            "pipelines.location.reconstruct",
            "job_by_name",
            reconstructable_args=(job_name,),
            reconstructor_working_directory=str(PROJECT_ROOT),
        )
        all_tags = {**(tags or {}), **({PARTITION_TAG: partition_key} if partition_key else {})}
        return execute_job(recon, instance, run_config=config, tags=all_tags or None)

    result = interruptible(execute, instance, progress)
    error = None if result.success else "; ".join(_failure_messages(result.all_events))
    error = error or (None if result.success else "run failed")
    if result.success:
        resolve_dead_letters_of(instance, result.run_id)
    else:
        dead_letter(instance, result.run_id, error)
    return RunOutcome(result.run_id, result.success, keys, error)


def _through_the_queue(
    job_name: str,
    instance: DagsterInstance,
    keys: list[str],
    partition_key: str | None,
    tags: dict[str, str] | None,
    config: dict,
    progress: Callable[[], None] | None,
) -> RunOutcome:
    """Submit the run and follow it. Its failure reaches the dead-letter queue, and its
    success resolves what it supersedes, through the daemon's sensors like any run."""
    run = submit_and_follow(instance, job_name, dict(tags or {}), config, partition_key, progress)
    run_id = run.run_id
    success = run.status == DagsterRunStatus.SUCCESS
    error = None
    if not success:
        events = [e.dagster_event for e in instance.all_logs(run_id) if e.dagster_event]
        error = "; ".join(_failure_messages(events)) or f"run {run.status.value.lower()}"
    return RunOutcome(run_id, success, keys, error, where="through the run queue")


def dead_letter(instance: DagsterInstance, run_id: str, error: str) -> None:
    """A run this process executed failed for good: into the dead-letter queue, as the
    daemon's run-failure sensor would record a run it launched (it never sees these)."""
    from pipelines.db.engine import get_engine
    from sensors.run_failures import failed_run_of, record_final_failure

    run = instance.get_run_by_id(run_id)
    try:
        record_final_failure(
            instance,
            get_engine(get_settings().resolved_database_url),
            run,
            failed_run_of(instance, run, error),
        )
    except Exception as exc:  # noqa: BLE001 - the run's own outcome must still be reported
        sys.stderr.write(f"warning: run {run_id} not recorded in the dead-letter queue: {exc}\n")


def resolve_dead_letters_of(instance: DagsterInstance, run_id: str) -> None:
    """A run this process executed succeeded: the dead letters it supersedes are resolved, as
    the daemon's success sensor does for a run it launched (it never sees these either)."""
    from pipelines.db.engine import get_engine
    from sensors.run_failures import resolve_dead_letters

    try:
        resolve_dead_letters(
            instance,
            get_engine(get_settings().resolved_database_url),
            instance.get_run_by_id(run_id),
        )
    except Exception as exc:  # noqa: BLE001 - the run's own outcome must still be reported
        sys.stderr.write(f"warning: dead letters not resolved by run {run_id}: {exc}\n")


def interruptible(fn, instance: DagsterInstance, progress: Callable[[], None] | None = None):
    """Run `fn` (a Dagster execution) in a worker thread, so that Ctrl-C or SIGTERM reaches
    this main thread at once. (In the main thread Dagster holds interrupts back until a step
    boundary, and a step waiting on the network or a retry delay made Ctrl-C take minutes.)
    On an interrupt the runs this process started are marked canceled and the process exits
    at once; open database transactions die with it, so every partition keeps its previous
    state."""
    if threading.current_thread() is not threading.main_thread():
        return fn()
    box: dict = {}

    def work():
        try:
            box["result"] = fn()
        except BaseException as exc:  # noqa: BLE001 - handed back to the caller below
            box["error"] = exc

    def interrupt(signum, _frame):
        raise KeyboardInterrupt(signal.Signals(signum).name)

    worker = threading.Thread(target=work, name="folio-run", daemon=True)
    previous = signal.signal(signal.SIGTERM, interrupt)
    try:
        worker.start()
        while worker.is_alive():
            worker.join(0.2)
            if progress is not None:
                progress()
    except KeyboardInterrupt as exc:
        stopped = stop_own_runs(instance, f"stopped by {exc or 'SIGINT (Ctrl-C)'}")
        sys.stderr.write(
            f"\ninterrupted: run(s) {', '.join(stopped) or 'none'} canceled; "
            f"every partition keeps its previous state\n"
        )
        sys.stderr.flush()
        os._exit(130)
    finally:
        signal.signal(signal.SIGTERM, previous)
    if "error" in box:
        raise box["error"]
    return box["result"]


def stop_own_runs(instance: DagsterInstance, message: str) -> list[str]:
    """Mark canceled the unfinished runs this process started (found by their pid tag)."""
    own = RunsFilter(statuses=LIVE_STATUSES, tags=process_tags())
    runs = instance.get_runs(own)
    for run in runs:
        instance.report_run_canceled(run, message=message)
    return [r.run_id for r in runs]


def source_config(source_url: str | None) -> dict:
    """Run config that points the file source at `source_url` (None: the configured default).
    Handed to the run, so the UI shows where a run read from and a retry reads there again."""
    return {"resources": {"file_source": {"config": {"url": source_url}}}} if source_url else {}


# Tags a retry must not inherit: who launched the run and how (Dagster's own bookkeeping,
# the sensor's run key, the process that executed it, the earlier retry link).
NOT_INHERITED = (PROCESS_TAG, *LEGACY_TAGS, RETRY_OF_TAG)


def retry_tags(tags: dict[str, str], run_id: str) -> dict[str, str]:
    """The original run's tags (priority, family, source, range…) for its retry, plus the
    link back to it."""
    keep = {
        k: v
        for k, v in tags.items()
        if k not in NOT_INHERITED
        and (
            not k.startswith("dagster/")
            or k in (PARTITION_RANGE_START_TAG, PARTITION_RANGE_END_TAG)
        )
    }
    return {**keep, RETRY_OF_TAG: run_id}


def _retry_of(instance: DagsterInstance, run_id: str) -> tuple[str, str | None, dict, dict]:
    """What a retry of a run runs: its job, partition, tags (linked back to it) and config."""
    run = instance.get_run_by_id(run_id)
    if run is None:
        raise LookupError(f"no run {run_id} in the Dagster instance")
    config = {k: v for k, v in (run.run_config or {}).items() if k != "loggers"}
    return run.job_name, run.tags.get(PARTITION_TAG), retry_tags(dict(run.tags), run_id), config


def rerun(instance: DagsterInstance, run_id: str, log_level: str = "WARNING") -> RunOutcome:
    """Run a job again as an earlier run was: the same partition (or range), run config and
    tags, linked to it (`folio/retry_of`) so that a failure re-opens its dead letter."""
    job_name, partition, tags, config = _retry_of(instance, run_id)
    keys = [partition] if partition else []
    return _execute(job_name, instance, keys, log_level, partition, tags, run_config=config)


def submit_retry(instance: DagsterInstance, run_id: str) -> str:
    """A retry put in the run queue and left there (for the web server, which never executes
    a run): the daemon starts it; its own sensors then resolve or re-open the dead letter."""
    job_name, partition, tags, config = _retry_of(instance, run_id)
    return submit(job_name, tags, config, partition)


def run_job(
    instance: DagsterInstance,
    job_name: str,
    log_level: str = "WARNING",
    run_config: dict | None = None,
) -> RunOutcome:
    """An unpartitioned job (lead scoring, cleanup, one lookup), in-process."""
    return _execute(job_name, instance, [], log_level, run_config=run_config)


def run_partitions(
    instance: DagsterInstance,
    cadence: str,
    keys: list[str],
    log_level: str = "WARNING",
    source_url: str | None = None,
    progress: Callable[[], None] | None = None,
) -> RunOutcome:
    """One partition, or a range as one run (single-run backfill: the range tags)."""
    job_name, config = JOBS_BY_CADENCE[cadence], source_config(source_url)
    if len(keys) == 1:
        return _execute(
            job_name,
            instance,
            keys,
            log_level,
            partition_key=keys[0],
            run_config=config,
            progress=progress,
        )
    tags = {PARTITION_RANGE_START_TAG: keys[0], PARTITION_RANGE_END_TAG: keys[-1]}
    return _execute(
        job_name, instance, keys, log_level, tags=tags, run_config=config, progress=progress
    )


def run_partition(
    instance: DagsterInstance, job_name: str, key: str, log_level: str = "WARNING"
) -> RunOutcome:
    """One partition of a partitioned job that reads no files (the digest, the weekly report)."""
    return _execute(job_name, instance, [key], log_level, partition_key=key)


@dataclass
class TickOutcome:
    cursor: str | None
    runs: list[RunOutcome]
    skipped_run_keys: list[str]
    skip_reason: str | None = None


def tick_sensor(
    instance: DagsterInstance, sensor_name: str, cursor: str | None, log_level: str = "WARNING"
) -> TickOutcome:
    """One evaluation of a sensor, its run requests executed like every CLI run (in-process, or
    through the configured executor), as the daemon would launch them: a run_key already in
    the instance is dropped. For the demo, the listings benchmark and tests; in production
    the daemon ticks sensors."""
    from pipelines.location.definitions import defs

    sensor_def = defs.resolve_sensor_def(sensor_name)
    with build_sensor_context(
        instance=instance, cursor=cursor, definitions=defs, resources=dict(defs.resources or {})
    ) as context:
        data = sensor_def.evaluate_tick(context)
    runs, skipped = [], []
    for request in data.run_requests or []:
        key = request.run_key
        if key and instance.get_runs(
            RunsFilter(tags={RUN_KEY_TAG: key, SENSOR_NAME_TAG: sensor_name}), limit=1
        ):
            skipped.append(key)
            continue
        tags = {**request.tags, SENSOR_NAME_TAG: sensor_name, **({RUN_KEY_TAG: key} if key else {})}
        runs.append(
            _execute(
                request.job_name or sensor_def.job_name,
                instance,
                [],
                log_level,
                tags=tags,
                run_config=dict(request.run_config or {}),
            )
        )
    return TickOutcome(
        data.cursor if data.cursor is not None else cursor, runs, skipped, data.skip_message
    )
