"""Delayed one-off jobs: a request stored now, launched once when due by a sensor."""

from __future__ import annotations

import json
from datetime import datetime

from sqlalchemy import Engine, select, update

from pipelines import clock
from pipelines.db.schema import scheduled_jobs


def schedule_job(
    engine: Engine,
    job_name: str,
    run_at: datetime,
    run_config: dict | None = None,
    partition_key: str | None = None,
) -> int:
    if run_at.tzinfo is None:
        raise ValueError("run_at must carry a time zone")
    with engine.begin() as conn:
        return conn.execute(
            scheduled_jobs.insert().values(
                job_name=job_name,
                run_at=run_at,
                run_config=json.dumps(run_config or {}),
                partition_key=partition_key,
                status="pending",
                created_at=clock.now(),
            )
        ).inserted_primary_key[0]


def due_jobs(engine: Engine, now: datetime, limit: int = 100) -> list[dict]:
    q = (
        select(scheduled_jobs)
        .where(scheduled_jobs.c.status == "pending", scheduled_jobs.c.run_at <= now)
        .order_by(scheduled_jobs.c.run_at, scheduled_jobs.c.id)
        .limit(limit)
    )
    with engine.connect() as conn:
        return [dict(r) for r in conn.execute(q).mappings()]


def mark_launched(engine: Engine, job_id: int, run_key: str, now: datetime) -> None:
    with engine.begin() as conn:
        conn.execute(
            update(scheduled_jobs)
            .where(scheduled_jobs.c.id == job_id, scheduled_jobs.c.status == "pending")
            .values(status="launched", run_key=run_key, launched_at=now)
        )


def run_key_for(job_id: int) -> str:
    return f"scheduled-job-{job_id}"


def list_scheduled(engine: Engine, status: str | None = "pending") -> list[dict]:
    q = select(scheduled_jobs).order_by(scheduled_jobs.c.run_at, scheduled_jobs.c.id)
    if status:
        q = q.where(scheduled_jobs.c.status == status)
    with engine.connect() as conn:
        rows = [dict(r) for r in conn.execute(q).mappings()]
    for r in rows:
        r["run_config"] = json.loads(r["run_config"])
    return rows


def cancel_scheduled(engine: Engine, job_id: int) -> bool:
    """pending → canceled; False when it is not pending (launched, canceled, unknown)."""
    with engine.begin() as conn:
        return (
            conn.execute(
                update(scheduled_jobs)
                .where(scheduled_jobs.c.id == job_id, scheduled_jobs.c.status == "pending")
                .values(status="canceled")
            ).rowcount
            == 1
        )
