"""`folio health` and `folio metrics`: what an operator (or a load balancer) asks first.

Health fails when the product database or Dagster's storage cannot be reached, a daemon
heartbeat is missing or stale, a running schedule missed its last tick, or more than the
allowed share of runs failed in the last hour. Metrics are per job: queued, in progress,
succeeded, failed, failed rate and p50/p95 duration over the last hour and day. Both read
Dagster's instance API, not its tables.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass

from dagster import DagsterInstance, DagsterRunStatus, RunsFilter
from sqlalchemy import text

from pipelines.settings import Settings
from pipelines.store.db import get_engine, redact

IN_PROGRESS = {DagsterRunStatus.STARTING, DagsterRunStatus.STARTED, DagsterRunStatus.CANCELING}
QUEUED = {DagsterRunStatus.QUEUED, DagsterRunStatus.NOT_STARTED}


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str


def _database(url: str) -> Check:
    try:
        with get_engine(url).connect() as conn:
            conn.execute(text("SELECT 1"))
        return Check("database", True, redact(url))
    except Exception as exc:
        return Check("database", False, f"{redact(url)} unreachable: {type(exc).__name__}")


def _daemons(instance: DagsterInstance, now: float, max_age: int) -> Check:
    beats = instance.get_daemon_heartbeats()
    problems = []
    for daemon in instance.get_required_daemon_types():
        beat = beats.get(daemon)
        if beat is None:
            problems.append(f"{daemon}: no heartbeat (is `dagster-daemon run` running?)")
        elif now - beat.timestamp > max_age:
            problems.append(f"{daemon}: last heartbeat {int(now - beat.timestamp)} s ago")
    return Check("daemon", not problems, "; ".join(problems) or "all daemons beating")


def _schedules(instance: DagsterInstance, now: float, grace: int) -> Check:
    from dagster._core.scheduler.instigation import InstigatorStatus, InstigatorType
    from dagster._utils.schedules import reverse_cron_string_iterator

    from pipelines.definitions import defs

    # The stored state keeps the cron string; the time zone is the schedule's own.
    zones = {sch.name: sch.execution_timezone for sch in defs.schedules}
    missed = []
    for state in instance.all_instigator_state(instigator_type=InstigatorType.SCHEDULE):
        if state.status != InstigatorStatus.RUNNING:
            continue
        data = state.instigator_data
        zone = zones.get(state.instigator_name) or "UTC"
        due = next(reverse_cron_string_iterator(now - grace, data.cron_schedule, zone))
        if data.start_timestamp and due.timestamp() < data.start_timestamp:
            continue  # it was not running when that tick was due
        ticks = instance.get_ticks(state.instigator_origin_id, state.selector_id, limit=1)
        if not ticks or ticks[0].timestamp < due.timestamp():
            missed.append(f"{state.instigator_name} missed its {due.isoformat()} tick")
    return Check("schedules", not missed, "; ".join(missed) or "no missed ticks")


def _failure_rate(instance: DagsterInstance, now: float, s: Settings) -> Check:
    records = instance.get_run_records(RunsFilter(updated_after=_dt(now - 3600),
                                                  statuses=[DagsterRunStatus.SUCCESS, DagsterRunStatus.FAILURE]))
    failed = sum(r.dagster_run.status == DagsterRunStatus.FAILURE for r in records)
    rate = failed / len(records) if records else 0.0
    bad = len(records) >= s.health_failure_rate_min_runs and rate > s.health_failure_rate_max
    return Check("failure_rate", not bad, f"{failed} of {len(records)} runs failed in the last hour ({rate:.0%}; "
                                          f"limit {s.health_failure_rate_max:.0%})")


def _dt(ts: float):
    from datetime import datetime, timezone

    return datetime.fromtimestamp(ts, timezone.utc)


def check_health(instance_factory, database_url: str, s: Settings, now: float | None = None) -> list[Check]:
    now = now or time.time()
    checks = [_database(database_url)]
    try:
        instance = instance_factory()
        instance.get_runs(limit=1)
    except Exception as exc:
        return checks + [Check("dagster_storage", False, f"unreachable: {type(exc).__name__}: {str(exc)[:200]}")]
    checks.append(Check("dagster_storage", True, type(instance.run_storage).__name__))
    checks.append(_daemons(instance, now, s.health_heartbeat_max_age_seconds))
    checks.append(_schedules(instance, now, s.health_schedule_grace_seconds))
    checks.append(_failure_rate(instance, now, s))
    return checks


def as_dicts(checks: list[Check]) -> list[dict]:
    return [asdict(c) for c in checks]


# --- metrics -------------------------------------------------------------------------------

def _percentile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))], 2)


def job_metrics(instance: DagsterInstance, now: float | None = None) -> dict[str, dict]:
    """Per job: queued and in progress now; finished, failed rate, p50/p95 over 1 h and 24 h."""
    now = now or time.time()
    out: dict[str, dict] = {}
    live = instance.get_run_records(RunsFilter(statuses=list(QUEUED | IN_PROGRESS)))
    for r in live:
        m = out.setdefault(r.dagster_run.job_name, _empty())
        m["queued" if r.dagster_run.status in QUEUED else "in_progress"] += 1
    for window, seconds in (("1h", 3600), ("24h", 86400)):
        done = instance.get_run_records(RunsFilter(updated_after=_dt(now - seconds),
                                                   statuses=[DagsterRunStatus.SUCCESS, DagsterRunStatus.FAILURE]))
        by_job: dict[str, list] = {}
        for r in done:
            by_job.setdefault(r.dagster_run.job_name, []).append(r)
        for job, recs in by_job.items():
            m = out.setdefault(job, _empty())
            ok = [r for r in recs if r.dagster_run.status == DagsterRunStatus.SUCCESS]
            durations = [r.end_time - r.start_time for r in recs if r.end_time and r.start_time]
            m[f"succeeded_{window}"] = len(ok)
            m[f"failed_{window}"] = len(recs) - len(ok)
            m[f"failed_rate_{window}"] = round((len(recs) - len(ok)) / len(recs), 4)
            m[f"p50_seconds_{window}"] = _percentile(durations, 0.5)
            m[f"p95_seconds_{window}"] = _percentile(durations, 0.95)
    return dict(sorted(out.items()))


def _empty() -> dict:
    m = {"queued": 0, "in_progress": 0}
    for w in ("1h", "24h"):
        m.update({f"succeeded_{w}": 0, f"failed_{w}": 0, f"failed_rate_{w}": None,
                  f"p50_seconds_{w}": None, f"p95_seconds_{w}": None})
    return m
