"""Operations: the dead-letter queue, queue metrics snapshots and one-off scheduled jobs."""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    Column,
    Float,
    Index,
    Integer,
    String,
    Table,
    Text,
)

from pipelines.db.schema.base import metadata
from pipelines.db.types import Timestamp

# Dead-letter queue: runs that failed after their last retry (docs/operations.md#dead-letter-queue).
failed_jobs = Table(
    "failed_jobs",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("run_id", String(64), nullable=False, unique=True),
    Column("job_name", String(128), nullable=False),
    Column("partition_key", String(64)),
    Column("tags", Text, nullable=False),  # JSON
    Column("error_class", String(255)),
    Column("error_message", Text),
    Column("attempts", Integer, nullable=False),
    Column("first_failure_at", Timestamp(), nullable=False),
    Column("last_failure_at", Timestamp(), nullable=False),
    Column("status", String(12), nullable=False),  # open | resolved | discarded (| retried: old)
    Column("retry_run_id", String(64)),
    # A later run of the same job and partition (or a retry of this run) that succeeded.
    Column("resolved_run_id", String(64)),
    Column("resolved_at", Timestamp()),
    Column("discard_reason", Text),
    Column("alerted", Boolean, nullable=False),
)

# A snapshot of the run queue per job, every few minutes (the queue_metrics sensor).
queue_metrics = Table(
    "queue_metrics",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("recorded_at", Timestamp(), nullable=False),
    Column("job_name", String(128), nullable=False),
    Column("queued", Integer, nullable=False),
    Column("in_progress", Integer, nullable=False),
    Column("succeeded_1h", Integer, nullable=False),
    Column("failed_1h", Integer, nullable=False),
    Column("failed_rate_1h", Float),
    Column("p50_seconds_1h", Float),
    Column("p95_seconds_1h", Float),
    Index(None, "recorded_at"),
)

# One-off jobs to launch later (`folio schedule JOB --at`); the due-jobs sensor launches each once.
scheduled_jobs = Table(
    "scheduled_jobs",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("job_name", String(128), nullable=False),
    Column("run_at", Timestamp(), nullable=False),
    Column("run_config", Text, nullable=False),  # JSON
    Column("partition_key", String(64)),
    Column("status", String(12), nullable=False),  # pending | launched | canceled
    Column("run_key", String(64)),
    Column("created_at", Timestamp(), nullable=False),
    Column("launched_at", Timestamp()),
    Index(None, "status", "run_at"),
)
