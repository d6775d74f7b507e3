"""Launch one-off jobs stored by `folio schedule JOB --at` when they fall due, once each.

The run_key (`scheduled-job-<id>`) makes Dagster drop a request it has already launched, and
the row is marked launched in the same evaluation, so a replayed tick launches nothing new.
"""

import json

from dagster import DefaultSensorStatus, RunRequest, SensorEvaluationContext, SkipReason, sensor

from pipelines import clock
from pipelines.upkeep.delayed_jobs import due_jobs, mark_launched, run_key_for
from resources.database import FolioDatabase


def build_due_jobs_sensor(jobs: list):
    """The sensor may launch any of `jobs` (the code location passes all of its jobs)."""

    @sensor(
        name="due_jobs_sensor",
        jobs=jobs,
        minimum_interval_seconds=30,
        default_status=DefaultSensorStatus.RUNNING,
        description="Launches one-off jobs scheduled for later.",
    )
    def due_jobs_sensor(context: SensorEvaluationContext, database: FolioDatabase):
        engine, now = database.engine(), clock.now()
        due = due_jobs(engine, now)
        if not due:
            return SkipReason("no scheduled job is due")
        requests = []
        for job in due:
            key = run_key_for(job["id"])
            requests.append(
                RunRequest(
                    run_key=key,
                    job_name=job["job_name"],
                    run_config=json.loads(job["run_config"]),
                    partition_key=job["partition_key"],
                    tags={"folio/scheduled_job": str(job["id"])},
                )
            )
            mark_launched(engine, job["id"], key, now)
        return requests

    return due_jobs_sensor
