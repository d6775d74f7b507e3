"""Where a dagster-daemon serves the instance, `folio run` submits its run to the run queue
and follows it: the queue's priorities apply to it (an URGENT run queued after it starts
first), Ctrl-C cancels it through Dagster, and without a daemon it executes in-process and
says so.

The daemon first runs with a limit of no run at a time, so the queue's order is the test's,
not the scheduler's; it is then restarted with one run at a time. (Pausing it with SIGSTOP
instead let its code server time out under load, and the dequeue failed.)"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import yaml
from dagster import DagsterInstance

from pipelines.calendar import last_complete_business_day, previous_business_day
from tests.e2e.test_run_queue import Dagster, launch, runs


def _folio(*args: str, cwd) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "pipelines.cli", *args],
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "COLUMNS": "100"},
    )


def _wait(condition, seconds: float = 90, what: str = "condition"):
    deadline = time.time() + seconds
    while time.time() < deadline:
        if value := condition():
            return value
        time.sleep(0.3)
    raise TimeoutError(what)


def _queued_digest(instance: DagsterInstance, day: str) -> str | None:
    found = [
        r
        for r in instance.get_runs()
        if r.job_name == "daily_digest_emails" and r.tags.get("dagster/partition") == day
    ]
    return found[0].run_id if found and found[0].status.value == "QUEUED" else None


def _set_run_limit(tmp_path, limit: int) -> None:
    path = tmp_path / "dagster_home" / "dagster.yaml"
    config = yaml.safe_load(path.read_text())
    config["run_coordinator"]["config"]["max_concurrent_runs"] = limit
    path.write_text(yaml.safe_dump(config))


def test_folio_run_obeys_the_run_queue_and_ctrl_c_cancels_it(tmp_path, monkeypatch):
    friday = last_complete_business_day()
    day, earlier = friday.isoformat(), previous_business_day(friday).isoformat()
    # A daemon that dequeues nothing (limit 0) while the test fills the queue.
    dg = Dagster(tmp_path, monkeypatch, max_concurrent_runs=0)
    instance = DagsterInstance.get()
    try:
        dg.start_daemon()
        _wait(
            lambda: "QUEUED_RUN_COORDINATOR" in instance.get_daemon_heartbeats(),
            what="the daemon's first heartbeat",
        )

        # Ctrl-C while its run waits in the queue: Dagster cancels it, the command says so.
        cli = _folio("run", "digest", "--date", earlier, cwd=tmp_path)
        waiting = _wait(lambda: _queued_digest(instance, earlier), what="the first run")
        cli.send_signal(signal.SIGINT)
        out, _ = cli.communicate(timeout=60)
        assert cli.returncode == 130, out
        assert f"asked Dagster to terminate run {waiting}" in out
        assert runs(dg.base)[waiting]["status"] == "CANCELED"

        # A NORMAL run from the command line, then an URGENT one from the UI's GraphQL; then
        # the daemon again with one run at a time.
        cli = _folio("run", "digest", "--date", day, cwd=tmp_path)
        mine = _wait(lambda: _queued_digest(instance, day), what="the CLI's run in the queue")
        urgent = launch(dg.base, "cleanup", {"dagster/priority": "10"})
        daemon = dg.procs.pop()
        daemon.terminate()
        daemon.wait(timeout=60)
        _set_run_limit(tmp_path, 1)
        dg.start_daemon()
        out, _ = cli.communicate(timeout=300)
        assert cli.returncode == 0, out
        assert f"run {mine} submitted to the run queue" in out
        assert "succeeded (through the run queue)" in out
        state = dg.wait_done([mine, urgent])
        assert [state[r]["status"] for r in (mine, urgent)] == ["SUCCESS", "SUCCESS"]
        assert state[urgent]["startTime"] < state[mine]["startTime"]  # the queue's order
        assert "folio/process" not in instance.get_run_by_id(mine).tags  # the daemon's run
    finally:
        dg.stop()


def test_without_a_daemon_folio_run_executes_in_process_and_says_so(tmp_path, monkeypatch):
    dg = Dagster(tmp_path, monkeypatch, max_concurrent_runs=1)  # a UI, but no daemon
    try:
        day = last_complete_business_day().isoformat()
        cli = _folio("run", "digest", "--date", day, cwd=tmp_path)
        out, _ = cli.communicate(timeout=240)
    finally:
        dg.stop()
    assert cli.returncode == 0, out
    assert "succeeded (in this process)" in out and "submitted" not in out
