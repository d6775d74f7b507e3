"""Run failure → dead-letter queue (+ an admin alert for critical jobs), exactly once per run."""

from datetime import datetime, timezone

from dagster import (
    DagsterEventType,
    DefaultSensorStatus,
    RunFailureSensorContext,
    run_failure_sensor,
)

from pipelines import clock
from pipelines.upkeep.dead_letters import FailedRun, record_dead_letter
from resources.database import FolioDatabase

RETRY_TAG = "dagster/will_retry"  # set by Dagster on a failed run it is about to retry


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
        partition_key=run.tags.get("dagster/partition"),
        tags=dict(run.tags),
        error_class=error.cls_name if error else None,
        error_message=error.message.strip() if error else (fallback or "run failed"),
        attempts=max([s.attempts for s in stats if s.attempts] or [1]),
        first_failure_at=datetime.fromtimestamp(min(stamps), timezone.utc),
        last_failure_at=datetime.fromtimestamp(last, timezone.utc),
    )


@run_failure_sensor(
    name="dead_letter_sensor",
    default_status=DefaultSensorStatus.RUNNING,
    description="A run that failed after its last retry → failed_jobs; critical jobs alert admins.",
)
def dead_letter_sensor(context: RunFailureSensorContext, database: FolioDatabase):
    if context.dagster_run.tags.get(RETRY_TAG) == "true":
        return  # not final: Dagster will run it again
    record_dead_letter(database.engine(), failed_run_from(context))
