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

import os

from dagster import in_process_executor, multiprocess_executor

from pipelines.settings import get_settings


def default_executor():
    kind = get_settings().executor
    if kind == "in_process":
        return in_process_executor
    if kind == "multiprocess":
        return multiprocess_executor
    if kind != "celery":
        raise ValueError(f"FOLIO_EXECUTOR={kind!r}: use in_process, multiprocess or celery")
    if not os.environ.get("FOLIO_CELERY_BROKER"):
        raise ValueError(
            "FOLIO_EXECUTOR=celery needs FOLIO_CELERY_BROKER, e.g. pyamqp://guest@127.0.0.1:5672//"
        )
    from dagster_celery import celery_executor

    # The broker URL stays in the environment (it may carry a password).
    queue = os.environ.get("FOLIO_CELERY_QUEUE", "dagster")
    return celery_executor.configured(
        {
            "broker": {"env": "FOLIO_CELERY_BROKER"},
            "backend": "rpc://",
            "config_source": {"task_default_queue": queue},
        }
    )
