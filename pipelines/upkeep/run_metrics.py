"""Per-job queue metrics from plain run facts: queued, in progress, succeeded, failed, failed
rate and p50/p95 duration per window (docs/operations.md#health-and-metrics).

The facts are gathered from the Dagster instance by the caller; this module only counts.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine

from pipelines.db.schema import queue_metrics

WINDOWS = {"1h": 3600, "24h": 86400}


@dataclass(frozen=True)
class RunFact:
    job_name: str
    state: str  # queued | in_progress | success | failure
    start_time: float | None = None
    end_time: float | None = None


def percentile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))], 2)


def empty_metrics() -> dict:
    m = {"queued": 0, "in_progress": 0}
    for w in WINDOWS:
        m.update(
            {
                f"succeeded_{w}": 0,
                f"failed_{w}": 0,
                f"failed_rate_{w}": None,
                f"p50_seconds_{w}": None,
                f"p95_seconds_{w}": None,
            }
        )
    return m


def job_metrics(live: list[RunFact], finished: dict[str, list[RunFact]]) -> dict[str, dict]:
    """`live`: runs queued or in progress now; `finished[window]`: runs that ended in it."""
    out: dict[str, dict] = {}
    for r in live:
        out.setdefault(r.job_name, empty_metrics())[r.state] += 1
    for window, facts in finished.items():
        by_job: dict[str, list[RunFact]] = {}
        for r in facts:
            by_job.setdefault(r.job_name, []).append(r)
        for job, recs in by_job.items():
            m = out.setdefault(job, empty_metrics())
            ok = sum(r.state == "success" for r in recs)
            durations = [r.end_time - r.start_time for r in recs if r.end_time and r.start_time]
            m[f"succeeded_{window}"] = ok
            m[f"failed_{window}"] = len(recs) - ok
            m[f"failed_rate_{window}"] = round((len(recs) - ok) / len(recs), 4)
            m[f"p50_seconds_{window}"] = percentile(durations, 0.5)
            m[f"p95_seconds_{window}"] = percentile(durations, 0.95)
    return dict(sorted(out.items()))


def record_snapshot(engine: Engine, metrics: dict[str, dict], recorded_at: datetime) -> int:
    """One `queue_metrics` row per job (the 1 h figures); returns the rows written."""
    rows = [
        {
            "recorded_at": recorded_at,
            "job_name": job,
            "queued": m["queued"],
            "in_progress": m["in_progress"],
            "succeeded_1h": m["succeeded_1h"],
            "failed_1h": m["failed_1h"],
            "failed_rate_1h": m["failed_rate_1h"],
            "p50_seconds_1h": m["p50_seconds_1h"],
            "p95_seconds_1h": m["p95_seconds_1h"],
        }
        for job, m in metrics.items()
    ]
    if rows:
        with engine.begin() as conn:
            conn.execute(queue_metrics.insert(), rows)
    return len(rows)
