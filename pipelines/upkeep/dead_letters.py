"""The dead-letter queue (`failed_jobs`): runs that failed after their last retry.

Dagster-free. Filled by the run-failure sensor (runs the daemon launched) and by the runner
(runs the CLI, `folio tick` and the HTTP admin API execute): a run is recorded once
(run_id is unique), whichever saw it first. A retry run carries `folio/retry_of` = the run
it retries; when it fails too, it re-opens that run's entry (attempts + 1, the new failure)
instead of adding one. `folio dlq` lists, retries and discards.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine, select, update

from pipelines.db.schema import failed_jobs
from pipelines.db.upsert import insert_ignore_rows

# Job families whose failure pages an operator (ingestion, lookups, scoring;
# docs/operations.md#dead-letter-queue).
CRITICAL_FAMILIES = ("ingestion", "lookups", "scoring")
RETRY_OF_TAG = "folio/retry_of"


@dataclass(frozen=True)
class FailedRun:
    run_id: str
    job_name: str
    partition_key: str | None
    tags: dict[str, str]
    error_class: str | None
    error_message: str | None
    attempts: int
    first_failure_at: datetime
    last_failure_at: datetime

    @property
    def critical(self) -> bool:
        return self.tags.get("folio/family") in CRITICAL_FAMILIES


def record_failure(engine: Engine, run: FailedRun) -> bool:
    """Store the failed run; True only the first time this run is seen as a new entry (a
    failed retry re-opens its entry and returns False)."""
    if (retried := run.tags.get(RETRY_OF_TAG)) and _reopen(engine, retried, run):
        return False
    row = {
        "run_id": run.run_id,
        "job_name": run.job_name,
        "partition_key": run.partition_key,
        "tags": json.dumps(run.tags, sort_keys=True),
        "error_class": run.error_class,
        "error_message": (run.error_message or "")[:4000],
        "attempts": run.attempts,
        "first_failure_at": run.first_failure_at,
        "last_failure_at": run.last_failure_at,
        "status": "open",
        "alerted": False,
    }
    with engine.begin() as conn:
        return insert_ignore_rows(conn, failed_jobs, [row], ["run_id"]) == 1


def _reopen(engine: Engine, retried_run_id: str, run: FailedRun) -> bool:
    """Re-open the entry of the run `run` retried; False when there is no such entry."""
    fj = failed_jobs.c
    with engine.begin() as conn:
        entry = conn.execute(
            select(failed_jobs).where(
                (fj.run_id == retried_run_id) | (fj.retry_run_id == retried_run_id)
            )
        ).first()
        if entry is None:
            return False
        if entry.retry_run_id == run.run_id and entry.status == "open":
            return True  # this failure was recorded already (the sensor and the runner)
        conn.execute(
            update(failed_jobs)
            .where(fj.id == entry.id)
            .values(
                status="open",
                attempts=entry.attempts + 1,
                last_failure_at=run.last_failure_at,
                error_class=run.error_class,
                error_message=(run.error_message or "")[:4000],
                retry_run_id=run.run_id,
            )
        )
    return True


def record_dead_letter(engine: Engine, failed: FailedRun) -> bool:
    """Record a final failure; page an operator when it is new and critical. Returns True
    when a new entry was made."""
    from pipelines.upkeep.admin_alerts import send_admin_alert

    if not record_failure(engine, failed):
        return False
    if failed.critical:
        where = f" partition {failed.partition_key}" if failed.partition_key else ""
        send_admin_alert(
            f"{failed.job_name}{where} failed after {failed.attempts} attempt(s)",
            f"run {failed.run_id}\n{failed.error_class}: {failed.error_message}\n"
            f"retry: folio dlq list, then folio dlq retry <id>",
            key=f"run-failure-{failed.run_id}",
        )
        mark_alerted(engine, failed.run_id)
    return True


def mark_alerted(engine: Engine, run_id: str) -> None:
    with engine.begin() as conn:
        conn.execute(update(failed_jobs).where(failed_jobs.c.run_id == run_id).values(alerted=True))


def list_failed(engine: Engine, status: str | None = "open") -> list[dict]:
    q = select(failed_jobs).order_by(failed_jobs.c.id)
    if status:
        q = q.where(failed_jobs.c.status == status)
    with engine.connect() as conn:
        return [dict(r) for r in conn.execute(q).mappings()]


def get_failed(engine: Engine, dlq_id: int) -> dict | None:
    with engine.connect() as conn:
        row = conn.execute(select(failed_jobs).where(failed_jobs.c.id == dlq_id)).mappings().first()
    return dict(row) if row else None


def mark_retried(engine: Engine, dlq_id: int, retry_run_id: str) -> None:
    with engine.begin() as conn:
        conn.execute(
            update(failed_jobs)
            .where(failed_jobs.c.id == dlq_id)
            .values(status="retried", retry_run_id=retry_run_id)
        )


def discard(engine: Engine, dlq_id: int, reason: str) -> bool:
    with engine.begin() as conn:
        return (
            conn.execute(
                update(failed_jobs)
                .where(failed_jobs.c.id == dlq_id, failed_jobs.c.status == "open")
                .values(status="discarded", discard_reason=reason)
            ).rowcount
            == 1
        )
