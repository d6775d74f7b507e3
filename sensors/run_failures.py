"""Run failure → dead-letter queue (+ an admin alert for critical jobs), exactly once per run;
run success → the open entries it supersedes are resolved (docs/operations.md#dead-letter-queue).

The Dagster side of pipelines/upkeep/dead_letters.py: which partitions a run covered and when
it started and ended come from the instance; the rules are the core's."""

import json
from datetime import datetime, timezone

from dagster import (
    DagsterEventType,
    DagsterRunStatus,
    DefaultSensorStatus,
    RunFailureSensorContext,
    RunsFilter,
    RunStatusSensorContext,
    run_failure_sensor,
    run_status_sensor,
)

from pipelines import clock
from pipelines.upkeep.dead_letters import (
    RETRY_OF_TAG,
    FailedRun,
    Span,
    covers,
    open_entries,
    record_dead_letter,
    resolve,
    supersedes,
)
from resources.database import FolioDatabase

RETRY_TAG = "dagster/will_retry"  # set by Dagster on a failed run it is about to retry
# Dagster's own run tags for a partition and a single-run range (it exports no constants).
PARTITION_TAG = "dagster/partition"
RANGE_TAGS = ("dagster/asset_partition_range_start", "dagster/asset_partition_range_end")
# Successes looked at when a failure is recorded: a partition's rerun is among its job's
# latest runs.
RECENT_SUCCESSES = 200


def failed_run_from(context: RunFailureSensorContext) -> FailedRun:
    fallback = context.failure_event.message
    if context.failure_event.event_specific_data is not None:
        error = getattr(context.failure_event.event_specific_data, "error", None)
        fallback = error.message.strip() if error is not None else fallback
    return failed_run_of(context.instance, context.dagster_run, fallback)


def failed_run_of(instance, run, fallback: str | None = None) -> FailedRun:
    """A failed run as the dead-letter queue records it: its first step error (the cause of
    a wrapped one), attempts, and when it first and last failed."""
    failures = instance.all_logs(
        run.run_id, of_type={DagsterEventType.STEP_FAILURE, DagsterEventType.STEP_UP_FOR_RETRY}
    )
    ended = instance.all_logs(run.run_id, of_type=DagsterEventType.RUN_FAILURE)
    last = ended[-1].timestamp if ended else clock.now().timestamp()
    first_error = next(
        (
            e.dagster_event.step_failure_data.error
            for e in failures
            if e.dagster_event.event_type == DagsterEventType.STEP_FAILURE
            and e.dagster_event.step_failure_data.error
        ),
        None,
    )
    error = first_error.cause if first_error is not None and first_error.cause else first_error
    if error is None and ended and ended[-1].dagster_event.event_specific_data is not None:
        error = getattr(ended[-1].dagster_event.event_specific_data, "error", None)
    stats = instance.get_run_step_stats(run.run_id)
    stamps = [e.timestamp for e in failures] or [last]
    return FailedRun(
        run_id=run.run_id,
        job_name=run.job_name,
        partition_key=run.tags.get(PARTITION_TAG),
        tags=dict(run.tags),
        error_class=error.cls_name if error else None,
        error_message=error.message.strip() if error else (fallback or "run failed"),
        attempts=max([s.attempts for s in stats if s.attempts] or [1]),
        first_failure_at=datetime.fromtimestamp(min(stamps), timezone.utc),
        last_failure_at=datetime.fromtimestamp(last, timezone.utc),
    )


def partition_span(tags: dict[str, str]) -> Span | None:
    """The partitions a run covered: its partition, or its range; None for an unpartitioned
    run (only a retry of it supersedes its failure)."""
    if key := tags.get(PARTITION_TAG):
        return (key, key)
    first, last = (tags.get(t) for t in RANGE_TAGS)
    return (first, last) if first and last else None


def _times(record) -> tuple[datetime | None, datetime]:
    """(started, ended) of a run record; a run never started (killed before it did) counts
    from its creation, one not ended yet as ending now."""
    if record is None:
        return None, clock.now()
    created = record.create_timestamp
    created = created if created.tzinfo else created.replace(tzinfo=timezone.utc)
    started = (
        datetime.fromtimestamp(record.start_time, timezone.utc) if record.start_time else created
    )
    ended = datetime.fromtimestamp(record.end_time, timezone.utc) if record.end_time else None
    return started, ended or clock.now()


def superseding_success(instance, run) -> tuple[str, datetime] | None:
    """(run id, end) of a later run that succeeded where `run` failed: a retry of it, or a
    run of the same job covering its partitions (`supersedes` says what "later" is)."""
    failed_started, failed_ended = _times(instance.get_run_record_by_id(run.run_id))
    span = partition_span(run.tags)
    candidates = list(
        instance.get_run_records(
            RunsFilter(statuses=[DagsterRunStatus.SUCCESS], tags={RETRY_OF_TAG: run.run_id}),
            limit=10,
        )
    )
    if span is not None:
        candidates += instance.get_run_records(
            RunsFilter(job_name=run.job_name, statuses=[DagsterRunStatus.SUCCESS]),
            limit=RECENT_SUCCESSES,
        )
    for record in candidates:
        success = record.dagster_run
        started, ended = _times(record)
        if success.tags.get(RETRY_OF_TAG) == run.run_id or (
            covers(partition_span(success.tags), span)
            and supersedes(started, ended, failed_started, failed_ended)
        ):
            return success.run_id, ended
    return None


def record_final_failure(instance, engine, run, failed: FailedRun) -> bool:
    """Into the dead-letter queue (resolved at once if a later run already succeeded)."""
    return record_dead_letter(engine, failed, lambda: superseding_success(instance, run))


def resolve_dead_letters(instance, engine, run) -> int:
    """`run` succeeded: resolve the open entries of its job whose partitions it covered and
    whose failure it supersedes, and the entry of the run it retried. Returns how many."""
    started, ended = _times(instance.get_run_record_by_id(run.run_id))
    span = partition_span(run.tags)
    retry_of = run.tags.get(RETRY_OF_TAG)
    resolved = []
    for entry in open_entries(engine, run.job_name):
        if retry_of is not None and retry_of in (entry["run_id"], entry["retry_run_id"]):
            resolved.append(entry["id"])
            continue
        if entry["run_id"] == run.run_id or not covers(
            span, partition_span(json.loads(entry["tags"]))
        ):
            continue
        # The entry's latest failed attempt: its re-opening retry, else its own run.
        failed_started, _ = _times(
            instance.get_run_record_by_id(entry["retry_run_id"] or entry["run_id"])
        )
        if supersedes(started, ended, failed_started, entry["last_failure_at"]):
            resolved.append(entry["id"])
    return resolve(engine, resolved, run.run_id, ended)


@run_failure_sensor(
    name="dead_letter_sensor",
    default_status=DefaultSensorStatus.RUNNING,
    description="A run that failed after its last retry → failed_jobs; critical jobs alert admins.",
)
def dead_letter_sensor(context: RunFailureSensorContext, database: FolioDatabase):
    if context.dagster_run.tags.get(RETRY_TAG) == "true":
        return  # not final: Dagster will run it again
    record_final_failure(
        context.instance, database.engine(), context.dagster_run, failed_run_from(context)
    )


@run_status_sensor(
    run_status=DagsterRunStatus.SUCCESS,
    name="dead_letter_resolution_sensor",
    default_status=DefaultSensorStatus.RUNNING,
    description="A run that succeeded resolves the open failed_jobs entries of its job and "
    "partition (or range) that failed before it, and the entry of the run it retried.",
)
def dead_letter_resolution_sensor(context: RunStatusSensorContext, database: FolioDatabase):
    resolve_dead_letters(context.instance, database.engine(), context.dagster_run)
