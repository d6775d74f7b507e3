"""`folio health` and `folio metrics`: what an operator (or a load balancer) asks first.

Health fails when the product database or Dagster's storage cannot be reached, a daemon
heartbeat is missing or stale, a running schedule missed its last tick, or more than the
allowed share of runs failed in the last hour. Metrics are per job: queued, in progress,
succeeded, failed, failed rate and p50/p95 duration over the last hour and day. Both read
Dagster's instance API, not its tables.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from dagster import DagsterInstance, DagsterRunStatus, RunsFilter

from pipelines import clock
from pipelines.control.dagster_private import (
    InstigatorStatus,
    InstigatorType,
    reverse_cron_string_iterator,
)
from pipelines.db.engine import get_engine, ping, redact
from pipelines.db.plain import plain
from pipelines.lookups.balance import last_balance
from pipelines.settings import Settings
from sensors.queue_metrics import run_metrics


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str


def _database(url: str) -> Check:
    error = ping(url)
    return Check(
        "database",
        error is None,
        redact(url) if error is None else f"{redact(url)} unreachable: {error}",
    )


def _daemons(instance: DagsterInstance, now: float, max_age: int) -> Check:
    beats = instance.get_daemon_heartbeats()
    required = instance.get_required_daemon_types()
    if not any(beats.get(d) for d in required):
        return Check(
            "daemon",
            False,
            "the Dagster daemon is not running (no heartbeat from any of its "
            f"{len(required)} daemons): start `dagster dev` or `dagster-daemon run`; "
            "schedules, sensors and the run queue wait for it",
        )
    problems = []
    for daemon in required:
        beat = beats.get(daemon)
        if beat is None:
            problems.append(f"{daemon}: no heartbeat (is `dagster-daemon run` running?)")
        elif now - beat.timestamp > max_age:
            problems.append(f"{daemon}: last heartbeat {int(now - beat.timestamp)} s ago")
    return Check("daemon", not problems, "; ".join(problems) or "all daemons beating")


def _schedules(instance: DagsterInstance, now: float, s: Settings) -> Check:
    """Running schedules that missed their last tick, and schedules that are off (a failure
    unless FOLIO_SCHEDULES=stopped says they are meant to be)."""
    from pipelines.location.definitions import defs

    declared = {sch.name: sch for sch in defs.schedules}
    stored = {
        st.instigator_name: st
        for st in instance.all_instigator_state(instigator_type=InstigatorType.SCHEDULE)
    }
    missed, off = [], []
    for name, sch in sorted(declared.items()):
        state = stored.get(name)
        if state is not None and state.status in (
            InstigatorStatus.RUNNING,
            InstigatorStatus.STOPPED,
        ):
            running = state.status == InstigatorStatus.RUNNING
        else:  # never toggled: as declared in code
            running = sch.default_status.value == "RUNNING"
        if not running:
            off.append(name)
            continue
        if state is None or state.instigator_data is None:
            continue  # the daemon has not evaluated it yet (the daemon check says why)
        data = state.instigator_data
        due = next(
            reverse_cron_string_iterator(
                now - s.health_schedule_grace_seconds,
                sch.cron_schedule,
                sch.execution_timezone or "UTC",
            )
        )
        if data.start_timestamp and due.timestamp() < data.start_timestamp:
            continue  # it was not running when that tick was due
        ticks = instance.get_ticks(state.instigator_origin_id, state.selector_id, limit=1)
        if not ticks or ticks[0].timestamp < due.timestamp():
            missed.append(f"{name} missed its {due.isoformat()} tick")
    parts = missed[:]
    if off:
        why = " (FOLIO_SCHEDULES=stopped)" if s.schedules == "stopped" else ""
        parts.append(f"{len(off)} of {len(declared)} off{why}: {', '.join(off)}")
    ok = not missed and (not off or s.schedules == "stopped")
    detail = "; ".join(parts) or f"all {len(declared)} running, no missed ticks"
    return Check("schedules", ok, detail)


def _failure_rate(instance: DagsterInstance, now: float, s: Settings) -> Check:
    records = instance.get_run_records(
        RunsFilter(
            updated_after=_dt(now - 3600),
            statuses=[DagsterRunStatus.SUCCESS, DagsterRunStatus.FAILURE],
        )
    )
    failed = sum(r.dagster_run.status == DagsterRunStatus.FAILURE for r in records)
    rate = failed / len(records) if records else 0.0
    bad = len(records) >= s.health_failure_rate_min_runs and rate > s.health_failure_rate_max
    return Check(
        "failure_rate",
        not bad,
        f"{failed} of {len(records)} runs failed in the last hour ({rate:.0%}; "
        f"limit {s.health_failure_rate_max:.0%})",
    )


def _dt(ts: float):
    from datetime import datetime, timezone

    return datetime.fromtimestamp(ts, timezone.utc)


def _records_api_units(database_url: str, s: Settings) -> Check:
    """The county's unit balance as of the last call: unhealthy below the critical level."""
    try:
        last = last_balance(get_engine(database_url))
    except Exception as exc:  # noqa: BLE001 - the database check reports the cause
        return Check("records_api_units", True, f"not read ({type(exc).__name__})")
    if last is None:
        return Check("records_api_units", True, "no records API call yet")
    balance, at = last
    ok = balance >= s.units_critical_balance
    detail = (
        f"{balance:,} units left (as of {plain(at)}); critical below {s.units_critical_balance:,}"
    )
    return Check("records_api_units", ok, detail)


def check_health(
    instance_factory, database_url: str, s: Settings, now: float | None = None
) -> list[Check]:
    now = now or clock.now().timestamp()
    checks = [_database(database_url), _records_api_units(database_url, s)]
    try:
        instance = instance_factory()
        instance.get_runs(limit=1)
    except Exception as exc:
        return checks + [
            Check("dagster_storage", False, f"unreachable: {type(exc).__name__}: {str(exc)[:200]}")
        ]
    checks.append(Check("dagster_storage", True, type(instance.run_storage).__name__))
    checks.append(_daemons(instance, now, s.health_heartbeat_max_age_seconds))
    checks.append(_schedules(instance, now, s))
    checks.append(_failure_rate(instance, now, s))
    return checks


def as_dicts(checks: list[Check]) -> list[dict]:
    return [asdict(c) for c in checks]


def job_metrics(instance: DagsterInstance, now: float | None = None) -> dict[str, dict]:
    """Per job: queued and in progress now; finished, failed rate, p50/p95 over 1 h and 24 h
    (the same numbers the queue_metrics sensor records)."""
    return run_metrics(instance, now)
