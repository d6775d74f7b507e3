"""The dead-letter queue (`failed_jobs`): runs that failed after their last retry.

Dagster-free. Filled by the run-failure sensor (runs the daemon launched) and by the runner
(runs the CLI, `folio tick` and the HTTP admin API execute): a run is recorded once
(run_id is unique), whichever saw it first. A retry run carries `folio/retry_of` = the run
it retries; when it fails too, it re-opens that run's entry (attempts + 1, the new failure)
instead of adding one. `folio dlq` lists, retries and discards.

An open entry is `resolved` (with the run and the time it ended) once a later run of the
same job and partition succeeds, or a retry of it does, however that run was launched: the
success sensor, the runner and `folio dlq retry` all resolve. "Later" is `supersedes`: a
failure whose run was killed, and only marked failed after the success, counts as earlier
(its run started first); a failure that both started and ended after the success stays open.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine, select, update

from pipelines import clock
from pipelines.db.schema import failed_jobs
from pipelines.db.upsert import insert_ignore_rows

# Job families whose failure pages an operator (ingestion, lookups, scoring;
# docs/operations.md#dead-letter-queue).
CRITICAL_FAMILIES = ("ingestion", "lookups", "scoring")
RETRY_OF_TAG = "folio/retry_of"

# (first, last) partition key a run covers: one partition is (key, key); a range run its range.
Span = tuple[str, str]


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
    """Store the failed run as an open entry; True only the first time this run is seen as a
    new entry (a failed retry re-opens its entry and returns False)."""
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
        if entry.retry_run_id == run.run_id:
            # This failure was recorded already (the sensor and the runner both saw it), and
            # the entry may have been resolved or discarded since: it stays so.
            return True
        if entry.resolved_at is not None and run.last_failure_at <= entry.resolved_at:
            return True  # seen late: a success after it resolved the entry already
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


def record_dead_letter(
    engine: Engine,
    failed: FailedRun,
    superseded_by: Callable[[], tuple[str, datetime] | None] | None = None,
) -> bool:
    """Record a final failure; page an operator when it is new and critical. Returns True
    when a new open entry was made.

    `superseded_by` answers (run id, end) of a later successful run of the same job and
    partition, if any: asked after the entry is written, so a success that lands meanwhile
    is seen by one side or the other (its own pass lists open entries after it succeeded).
    A failure already superseded is kept, resolved, and pages nobody."""
    from pipelines.upkeep.admin_alerts import send_admin_alert

    new = record_failure(engine, failed)
    if superseded_by is not None and (success := superseded_by()) is not None:
        resolve_run(engine, failed.run_id, *success)
        return False
    if not new:
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


def covers(success: Span | None, failure: Span | None) -> bool:
    """A successful run redid a failed one's work when its partitions include all of the
    failure's (key order is time order within a job's partitions)."""
    if success is None or failure is None:
        return False
    return success[0] <= failure[0] and failure[1] <= success[1]


def supersedes(
    success_started: datetime | None,
    success_ended: datetime,
    failure_started: datetime | None,
    failure_ended: datetime,
) -> bool:
    """The success is the later outcome: it ended after the failure ended, or it started
    after the failed run started (a killed run is only marked failed when someone notices,
    possibly after a rerun already succeeded)."""
    if success_ended > failure_ended:
        return True
    return (
        success_started is not None
        and failure_started is not None
        and success_started > failure_started
    )


def open_entries(engine: Engine, job_name: str) -> list[dict]:
    fj = failed_jobs.c
    q = select(failed_jobs).where(fj.job_name == job_name, fj.status == "open").order_by(fj.id)
    with engine.connect() as conn:
        return [dict(r) for r in conn.execute(q).mappings()]


def resolve(engine: Engine, entry_ids: list[int], run_id: str, at: datetime) -> int:
    """Mark these entries resolved by `run_id`, which ended `at` (only those still open)."""
    if not entry_ids:
        return 0
    fj = failed_jobs.c
    with engine.begin() as conn:
        return conn.execute(
            update(failed_jobs)
            .where(fj.id.in_(entry_ids), fj.status == "open")
            .values(status="resolved", resolved_run_id=run_id, resolved_at=at)
        ).rowcount


def resolve_run(engine: Engine, failed_run_id: str, run_id: str, at: datetime) -> int:
    """Resolve the open entry of a failed run (its own, or the one its failed retry
    re-opened)."""
    fj = failed_jobs.c
    with engine.connect() as conn:
        ids = conn.execute(
            select(fj.id).where(
                (fj.run_id == failed_run_id) | (fj.retry_run_id == failed_run_id),
                fj.status == "open",
            )
        ).scalars()
        ids = list(ids)
    return resolve(engine, ids, run_id, at)


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


def mark_retried(
    engine: Engine, dlq_id: int, retry_run_id: str, at: datetime | None = None
) -> None:
    """A retry of the entry succeeded (`at`: when it ended; default now): resolved by it,
    unless the runner resolved it already (the retry link is kept either way)."""
    at = at or clock.now()
    fj = failed_jobs.c
    with engine.begin() as conn:
        conn.execute(
            update(failed_jobs)
            .where(fj.id == dlq_id, fj.status == "open")
            .values(status="resolved", resolved_run_id=retry_run_id, resolved_at=at)
        )
        conn.execute(update(failed_jobs).where(fj.id == dlq_id).values(retry_run_id=retry_run_id))


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
