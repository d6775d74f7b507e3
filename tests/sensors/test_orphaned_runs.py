"""A `folio` run whose process was killed stays STARTED for ever unless someone notices: the
orphaned-runs sensor marks it failed (freeing its cadence's slot; the dead-letter queue sees
it), and `folio runs cancel` works on such runs."""

import os
import socket
import subprocess
import sys

from dagster import DagsterInstance, build_sensor_context

from pipelines.control.runs import cancel_run
from pipelines.location.definitions import defs
from sensors.orphaned_runs import orphaned_runs_sensor


def dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def started_run(instance, pid: int, host: str | None = None):
    tags = {
        "folio/process": f"{host or socket.gethostname()}:{pid}",
        "folio/cadence": "daily",
    }
    return instance.create_run_for_job(
        defs.resolve_job_def("lead_scoring"), run_config={}, tags=tags, status="STARTED"
    )


def test_a_run_whose_process_died_is_marked_failed_once(tmp_path):
    instance = DagsterInstance.get()
    orphan = started_run(instance, dead_pid())
    alive = started_run(instance, os.getpid())
    elsewhere = started_run(instance, dead_pid(), host="another-host")
    first = orphaned_runs_sensor(build_sensor_context(instance=instance))
    assert first.skip_message == f"marked 1 orphaned run(s) failed: {orphan.run_id}"
    status = {
        r: instance.get_run_by_id(r).status.value
        for r in (orphan.run_id, alive.run_id, elsewhere.run_id)
    }
    assert status == {
        orphan.run_id: "FAILURE",
        alive.run_id: "STARTED",
        elsewhere.run_id: "STARTED",
    }
    again = orphaned_runs_sensor(build_sensor_context(instance=instance))
    assert again.skip_message == "marked 0 orphaned run(s) failed: none"


def test_cancel_works_on_a_cli_run_whose_process_is_gone(tmp_path):
    instance = DagsterInstance.get()
    orphan = started_run(instance, dead_pid())
    assert cancel_run(instance, orphan.run_id) == "CANCELED"
    assert instance.get_run_by_id(orphan.run_id).status.value == "CANCELED"


def test_cli_runs_carry_their_process(tmp_path):
    from pipelines.control.runner import run_job

    instance = DagsterInstance.get()
    outcome = run_job(instance, "lead_scoring")
    tags = instance.get_run_by_id(outcome.run_id).tags
    assert tags["folio/process"] == f"{socket.gethostname()}:{os.getpid()}"
    assert "folio/pid" not in tags and "folio/host" not in tags


def test_a_run_tagged_the_old_way_is_still_told_apart(tmp_path):
    """Runs started before the one `folio/process` tag carry folio/pid and folio/host."""
    instance = DagsterInstance.get()
    tags = {"folio/pid": str(dead_pid()), "folio/host": socket.gethostname()}
    old = instance.create_run_for_job(
        defs.resolve_job_def("lead_scoring"), run_config={}, tags=tags, status="STARTED"
    )
    result = orphaned_runs_sensor(build_sensor_context(instance=instance))
    assert result.skip_message == f"marked 1 orphaned run(s) failed: {old.run_id}"
