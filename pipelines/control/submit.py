"""Runs submitted to the instance's run queue and followed to their end, for when a
dagster-daemon serves the instance: the queue's priorities and tag limits then gate runs
started from the command line and the admin API like any other, and run monitoring watches
them (docs/operations.md#where-runs-execute)."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path

from dagster import DagsterInstance, DagsterRunStatus, QueuedRunCoordinator

from pipelines.settings import get_settings

PROJECT_ROOT = Path(__file__).resolve().parents[2]
# The daemon writes a heartbeat every 30 s; two missed and it is taken for gone (Dagster's
# own tolerance, half an hour, would queue runs behind a daemon long dead).
HEARTBEAT_FRESH_SECONDS = 75
FINISHED = {DagsterRunStatus.SUCCESS, DagsterRunStatus.FAILURE, DagsterRunStatus.CANCELED}


def daemon_serves(instance: DagsterInstance) -> bool:
    """A dagster-daemon dequeues this instance's run queue now (FOLIO_RUN_IN_PROCESS=true says
    to execute here regardless)."""
    if get_settings().run_in_process:
        return False
    if not isinstance(instance.run_coordinator, QueuedRunCoordinator):
        return False
    beat = instance.get_daemon_heartbeats().get("QUEUED_RUN_COORDINATOR")
    return beat is not None and time.time() - beat.timestamp < HEARTBEAT_FRESH_SECONDS


def submit(
    job_name: str,
    tags: dict[str, str],
    run_config: dict,
    partition_key: str | None = None,
    run_id: str | None = None,
) -> str:
    """Put a run of `job_name` in the run queue, through Dagster's own `dagster job launch`
    (the code location as the daemon loads it, the job's tags merged with ours); returns its
    id. The daemon starts it when the queue's priorities and limits allow."""
    run_id = run_id or str(uuid.uuid4())
    if partition_key:
        tags = {**tags, "dagster/partition": partition_key}
    launched = subprocess.run(
        [
            str(Path(sys.executable).parent / "dagster"),
            "job",
            "launch",
            "-w",
            str(PROJECT_ROOT / "workspace.yaml"),
            "-j",
            job_name,
            "--run-id",
            run_id,
            "--tags",
            json.dumps(tags),
            "--config-json",
            json.dumps(run_config),
        ],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
    )
    if launched.returncode != 0:
        said = (launched.stderr or launched.stdout).strip().splitlines()
        raise RuntimeError(f"could not submit a {job_name} run: {said[-1] if said else '?'}")
    return run_id


def submit_and_follow(
    instance: DagsterInstance,
    job_name: str,
    tags: dict[str, str],
    run_config: dict,
    partition_key: str | None = None,
    progress: Callable[[], None] | None = None,
    poll_seconds: float = 0.5,
):
    """Submit a run and wait for it to finish, calling `progress` between looks; returns
    the run. Ctrl-C or SIGTERM, from the moment it is submitted, asks Dagster to terminate
    it (a queued run is canceled at once) and exits 130."""
    run_id = str(uuid.uuid4())

    def interrupt(signum, _frame):
        raise KeyboardInterrupt(signal.Signals(signum).name)

    previous = signal.signal(signal.SIGTERM, interrupt)
    try:
        submit(job_name, tags, run_config, partition_key, run_id)
        sys.stderr.write(f"run {run_id} submitted to the run queue (a dagster-daemon serves it)\n")
        while True:
            run = instance.get_run_by_id(run_id)
            if run is not None and run.status in FINISHED:
                return run
            if progress is not None:
                progress()
            time.sleep(poll_seconds)
    except KeyboardInterrupt as exc:
        asked = instance.get_run_by_id(run_id) is not None  # interrupted before it was made
        if asked:
            instance.run_coordinator.cancel_run(run_id)
        what = f"asked Dagster to terminate run {run_id}" if asked else "no run was submitted"
        sys.stderr.write(
            f"\ninterrupted ({exc or 'SIGINT (Ctrl-C)'}): {what}; every partition keeps its "
            "previous state\n"
        )
        sys.stderr.flush()
        sys.exit(130)
    finally:
        signal.signal(signal.SIGTERM, previous)
