"""Where a dagster-daemon serves the instance, `folio run` submits its run to the run queue
and follows it: the queue's priorities apply to it (an URGENT run queued after it starts
first), Ctrl-C cancels it through Dagster, and without a daemon it executes in-process and
says so.

The daemon is paused (SIGSTOP) while runs are queued, so the order in which it finds them
is the test's, not the scheduler's; its last heartbeat stays fresh meanwhile."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

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


def test_folio_run_obeys_the_run_queue_and_ctrl_c_cancels_it(tmp_path, monkeypatch):
    friday = last_complete_business_day()
    day, earlier = friday.isoformat(), previous_business_day(friday).isoformat()
    dg = Dagster(tmp_path, monkeypatch, max_concurrent_runs=1)
    instance = DagsterInstance.get()
    try:
        dg.start_daemon()
        daemon = dg.procs[-1]
        _wait(
            lambda: "QUEUED_RUN_COORDINATOR" in instance.get_daemon_heartbeats(),
            what="the daemon's first heartbeat",
        )
        os.kill(daemon.pid, signal.SIGSTOP)

        # A NORMAL run from the command line, then an URGENT one from the UI's GraphQL.
        cli = _folio("run", "digest", "--date", day, cwd=tmp_path)
        mine = _wait(lambda: _queued_digest(instance, day), what="the CLI's run in the queue")
        urgent = launch(dg.base, "cleanup", {"dagster/priority": "10"})
        os.kill(daemon.pid, signal.SIGCONT)
        out, _ = cli.communicate(timeout=240)
        assert cli.returncode == 0, out
        assert f"run {mine} submitted to the run queue" in out
        assert "succeeded (through the run queue)" in out
        state = dg.wait_done([mine, urgent])
        assert [state[r]["status"] for r in (mine, urgent)] == ["SUCCESS", "SUCCESS"]
        assert state[urgent]["startTime"] < state[mine]["startTime"]  # the queue's order
        assert "folio/process" not in instance.get_run_by_id(mine).tags  # the daemon's run

        # Ctrl-C while its run waits in the queue: Dagster cancels it, the command says so.
        os.kill(daemon.pid, signal.SIGSTOP)
        cli = _folio("run", "digest", "--date", earlier, cwd=tmp_path)
        waiting = _wait(lambda: _queued_digest(instance, earlier), what="the second run")
        cli.send_signal(signal.SIGINT)
        out, _ = cli.communicate(timeout=60)
        os.kill(daemon.pid, signal.SIGCONT)
        assert cli.returncode == 130, out
        assert f"asked Dagster to terminate run {waiting}" in out
        assert runs(dg.base)[waiting]["status"] == "CANCELED"
    finally:
        for proc in dg.procs:
            if proc.poll() is None:
                os.kill(proc.pid, signal.SIGCONT)
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
