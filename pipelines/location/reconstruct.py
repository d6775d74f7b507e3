"""A job of the code location, by name: how executors that start new processes (multiprocess,
Celery workers) rebuild it there, through Dagster's public `build_reconstructable_job`."""

from pipelines.location.definitions import defs


def job_by_name(job_name: str):
    return defs.resolve_job_def(job_name)
