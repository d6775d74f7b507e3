"""The executor every job runs with, chosen by configuration (FOLIO_EXECUTOR), not code.

`in_process` (default): a run's steps one after another in the run's own process. A step
then costs no process start (about 2 s each: the imports and the code location), which is
most of a small alert or delivery run's time. `multiprocess`: each step in its own
subprocess on this machine (steps of one run in parallel, isolated). `celery`: steps are
Celery tasks on workers (`dagster-celery worker start`) reached through FOLIO_CELERY_BROKER
(RabbitMQ `pyamqp://…` or Redis `redis://…`); workers and this process must share the
Dagster instance (PostgreSQL storage: DAGSTER_PG_URL) and the product database.
FOLIO_CELERY_QUEUE (default `dagster`) names the queue steps go to, so one broker can serve
several deployments; start workers with `-q` set to the same name.
"""

from __future__ import annotations

from dagster import in_process_executor, multiprocess_executor

from pipelines.settings import get_settings


def default_executor():
    """The executor FOLIO_EXECUTOR names (a Literal: the settings refuse any other value, and
    refuse `celery` without FOLIO_CELERY_BROKER)."""
    settings = get_settings()
    if settings.executor == "in_process":
        return in_process_executor
    if settings.executor == "multiprocess":
        return multiprocess_executor
    from dagster_celery import celery_executor

    # The broker URL reaches Dagster as an environment reference (Dagster's EnvVar
    # mechanism), never as a value in run config: it may carry a password.
    return celery_executor.configured(
        {
            "broker": {"env": "FOLIO_CELERY_BROKER"},
            "backend": "rpc://",
            "config_source": {"task_default_queue": settings.celery_queue},
        }
    )
