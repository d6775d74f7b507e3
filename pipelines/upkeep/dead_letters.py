"""The dead-letter queue (`failed_jobs`): runs that failed after their last retry.

Dagster-free: the run-failure sensor fills it, `folio dlq` lists, retries and discards.
A run is recorded once (run_id is unique), however often the sensor sees it.
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
    """Store the failed run; True only the first time this run is seen."""
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
