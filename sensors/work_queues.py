"""The work-queue sensors: one factory. A request queue (lookups, reports) gets one run per
queued request; an outbox (email; SMS, calls and webhooks) gets one run for everything
queued up to its newest message, plus a sweep run per window for what a dead run left.
Each tick reads the queue past its cursor (the last id handed on)."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from dagster import (
    Config,
    DefaultSensorStatus,
    RunConfig,
    RunRequest,
    SensorDefinition,
    SensorEvaluationContext,
    SensorResult,
    SkipReason,
    sensor,
)
from sqlalchemy import Engine

from pipelines import clock
from resources.database import FolioDatabase

Evaluate = Callable[[SensorEvaluationContext, Engine, int], SensorResult | RunRequest | SkipReason]


def queue_sensor(
    *, name: str, job_name: str, description: str, interval_seconds: int, evaluate: Evaluate
) -> SensorDefinition:
    """A sensor over a work queue: `evaluate(context, engine, cursor id)` decides the tick."""

    @sensor(
        name=name,
        job_name=job_name,
        minimum_interval_seconds=interval_seconds,
        default_status=DefaultSensorStatus.RUNNING,
        description=description,
    )
    def _sensor(context: SensorEvaluationContext, database: FolioDatabase):
        return evaluate(context, database.engine(), int(context.cursor or 0))

    return _sensor


def one_run_per_request(kind: str, op_name: str, config: type[Config], ids: list[int]):
    """`<kind>:<id>` run keys (a replayed tick re-offers the same keys and Dagster drops them),
    a `folio/<kind>` tag, and the request id in the op's config; cursor = the last id."""
    requests = [
        RunRequest(
            run_key=f"{kind}:{i}",
            tags={f"folio/{kind}": str(i)},
            run_config=RunConfig(ops={op_name: config(request_id=i)}),
        )
        for i in ids
    ]
    return SensorResult(run_requests=requests, cursor=str(ids[-1]))


def request_queue_sensor(
    *,
    name: str,
    job_name: str,
    kind: str,
    op_name: str,
    config: type[Config],
    queued_after: Callable[[Engine, int], list[int]],
    fail_abandoned: Callable[[Engine, timedelta], list[int]],
    abandoned_after: timedelta,
    abandoned_said: str,
    interval_seconds: int,
) -> SensorDefinition:
    """A sensor launching `job_name` once per queued request of `kind` (run_key
    `<kind>:<id>`, cursor = the last id handed on). Each tick first fails the requests whose
    run died: `abandoned_after` must be longer than the job's run may take; `abandoned_said`
    is logged with the ids it failed."""

    def evaluate(context: SensorEvaluationContext, engine: Engine, after: int):
        if abandoned := fail_abandoned(engine, abandoned_after):
            context.log.warning(f"{kind} requests {abandoned}: {abandoned_said}")
        ids = queued_after(engine, after)
        if not ids:
            return SkipReason(f"no queued {kind} request after {after}")
        return one_run_per_request(kind, op_name, config, ids)

    return queue_sensor(
        name=name,
        job_name=job_name,
        description=f"One {job_name} run per queued {kind} request; cursor = last request id "
        "handed on.",
        interval_seconds=interval_seconds,
        evaluate=evaluate,
    )


@dataclass(frozen=True)
class Backlog:
    """What an outbox sensor needs: the newest message due now (if any), and whether what
    is left behind (queued below the cursor, stuck in `sending`, awaiting settlement)
    calls for a sweep run."""

    newest_due: int | None
    needs_sweep: bool


def outbox_sensor(
    *,
    name: str,
    job_name: str,
    kind: str,
    what: str,
    backlog: Callable[[Engine, int, datetime], Backlog],
    sweep_every: timedelta,
    interval_seconds: int,
    run_request: Callable[[int, str], RunRequest] = lambda up_to, key: RunRequest(run_key=key),
) -> SensorDefinition:
    """A sensor launching `job_name` for everything due up to the newest message (run key
    `<kind>:<id>`, cursor = that id), or else, when the backlog calls for it, one sweep run
    per `sweep_every` window (`<kind>-sweep:<cursor>:<window>`)."""

    def evaluate(context: SensorEvaluationContext, engine: Engine, after: int):
        now = clock.now()
        found = backlog(engine, after, now)
        if found.newest_due is not None and found.newest_due > after:
            newest = found.newest_due
            request = run_request(newest, f"{kind}:{newest}")
            return SensorResult(run_requests=[request], cursor=str(newest))
        if found.needs_sweep:
            window = int(now.timestamp() // sweep_every.total_seconds())
            return run_request(after, f"{kind}-sweep:{after}:{window}")
        return SkipReason(f"no {what}")

    return queue_sensor(
        name=name,
        job_name=job_name,
        description=f"Launches {job_name} for {what}; cursor = last notification id handed on.",
        interval_seconds=interval_seconds,
        evaluate=evaluate,
    )
