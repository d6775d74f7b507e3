"""Ctrl-C (SIGINT) or SIGTERM stops a `folio run` within seconds even while a step waits on
the network: the run is marked canceled and the partition keeps its previous state."""

import os
import signal
import subprocess
import sys
import time

import pytest
from dagster import DagsterInstance


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_an_interrupt_stops_a_waiting_run_at_once(silent_server, tmp_path, sig):
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "pipelines.cli",
            "run",
            "daily",
            "--date",
            "2026-01-05",
            "--source",
            silent_server,
        ],
        cwd=tmp_path,
        env={**os.environ, "COLUMNS": "200"},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    instance = DagsterInstance.get()
    for _ in range(300):  # until the run has started and a step waits on the silent server
        if [r for r in instance.get_runs() if r.status.value == "STARTED"]:
            break
        time.sleep(0.1)
    time.sleep(1.0)
    proc.send_signal(sig)
    out, err = proc.communicate(timeout=20)  # within seconds; before, it took minutes
    assert proc.returncode == 130, out + err
    [run] = instance.get_runs()
    assert run.status.value == "CANCELED"
    assert (
        f"interrupted: run(s) {run.run_id} canceled; every partition keeps its previous state"
        in err
    )
