"""The request-driven sensors (lookups, reports): one factory. Each tick fails the requests
whose run died (stale in the queue's working state), then launches one run per queued
request, keyed by its id."""

from collections.abc import Callable
from datetime import timedelta

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

from resources.database import FolioDatabase


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
    `<kind>:<id>`, cursor = the last id handed on). `abandoned_after` must be longer than
    the job's run may take; `abandoned_said` is logged with the ids it failed."""

    @sensor(
        name=name,
        job_name=job_name,
        minimum_interval_seconds=interval_seconds,
        default_status=DefaultSensorStatus.RUNNING,
        description=f"One {job_name} run per queued {kind} request; cursor = last request id "
        "handed on.",
    )
    def _sensor(context: SensorEvaluationContext, database: FolioDatabase):
        after, engine = int(context.cursor or 0), database.engine()
        if abandoned := fail_abandoned(engine, abandoned_after):
            context.log.warning(f"{kind} requests {abandoned}: {abandoned_said}")
        ids = queued_after(engine, after)
        if not ids:
            return SkipReason(f"no queued {kind} request after {after}")
        return one_run_per_request(kind, op_name, config, ids)

    return _sensor
