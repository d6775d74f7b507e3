"""The instance's run queue for real: webserver + daemon, runs submitted through GraphQL.

- priority: with one run at a time, an URGENT run queued after two LOW runs starts first;
- concurrency: two ingestion runs of the same cadence never overlap (tag limit in dagster.yaml).
"""

import json
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import yaml

from pipelines.control.instance import instance_yaml
from pipelines.db.migrate import upgrade
from tests.builders import doc, write_partition
from tests.servers import free_port, stop_processes

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
LAUNCH = """mutation($params: ExecutionParams!) { launchRun(executionParams: $params) {
  __typename ... on LaunchRunSuccess { run { runId } } ... on PythonError { message } } }"""
RUNS = """{ runsOrError { ... on Runs { results { runId status tags { key value } startTime
endTime } } } }"""


def gql(base: str, query: str, variables: dict | None = None) -> dict:
    req = urllib.request.Request(
        f"{base}/graphql",
        data=json.dumps({"query": query, "variables": variables or {}}).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(req, timeout=30) as resp:
        return json.loads(resp.read())["data"]


def launch(base: str, job: str, tags: dict[str, str]) -> str:
    params = {
        "selector": {
            "repositoryLocationName": "folio",
            "repositoryName": "__repository__",
            "jobName": job,
        },
        "runConfigData": {},
        "executionMetadata": {"tags": [{"key": k, "value": v} for k, v in tags.items()]},
    }
    out = gql(base, LAUNCH, {"params": params})["launchRun"]
    assert out["__typename"] == "LaunchRunSuccess", out
    return out["run"]["runId"]


def runs(base: str) -> dict[str, dict]:
    return {r["runId"]: r for r in gql(base, RUNS)["runsOrError"]["results"]}


class Dagster:
    """Webserver now, daemon when asked, against DAGSTER_HOME with the given coordinator limits."""

    def __init__(
        self, tmp_path: Path, monkeypatch, max_concurrent_runs: int, start_timeout_seconds=180
    ):
        home = tmp_path / "dagster_home"
        config = yaml.safe_load(instance_yaml())
        config["run_coordinator"]["config"].update(
            max_concurrent_runs=max_concurrent_runs, dequeue_interval_seconds=1
        )
        config["run_monitoring"].update(
            start_timeout_seconds=start_timeout_seconds, poll_interval_seconds=5
        )
        (home / "dagster.yaml").write_text(yaml.safe_dump(config))
        monkeypatch.setenv("DAGSTER_HOME", str(home))
        upgrade(f"sqlite:///{tmp_path / 'data' / 'folio.db'}")
        self.cwd, self.procs = tmp_path, []
        self.base = f"http://127.0.0.1:{free_port()}"
        self._start("dagster-webserver", "-h", "127.0.0.1", "-p", self.base.rsplit(":", 1)[1])
        deadline = time.time() + 60
        while time.time() < deadline:
            try:
                urllib.request.urlopen(f"{self.base}/server_info", timeout=2)
                break
            except OSError:
                time.sleep(0.5)

    def _start(self, exe: str, *args: str) -> None:
        self.procs.append(
            subprocess.Popen(
                [str(BIN / exe), *args, "-w", str(ROOT / "workspace.yaml")],
                cwd=self.cwd,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        )

    def start_daemon(self) -> None:
        self._start("dagster-daemon", "run")

    def wait_done(self, run_ids: list[str], seconds: float = 240) -> dict[str, dict]:
        deadline = time.time() + seconds
        while time.time() < deadline:
            state = runs(self.base)
            if all(state[r]["status"] in ("SUCCESS", "FAILURE", "CANCELED") for r in run_ids):
                return state
            time.sleep(1)
        raise TimeoutError({r: runs(self.base)[r]["status"] for r in run_ids})

    def stop(self) -> None:
        stop_processes(self.procs)


def test_urgent_run_queued_after_low_runs_starts_first(tmp_path, monkeypatch):
    dg = Dagster(tmp_path, monkeypatch, max_concurrent_runs=1)
    try:
        low = [launch(dg.base, "cleanup", {}) for _ in range(2)]  # LOW (-10) by the job's tags
        urgent = launch(dg.base, "cleanup", {"dagster/priority": "10"})  # URGENT
        assert {runs(dg.base)[r]["status"] for r in [*low, urgent]} == {"QUEUED"}
        dg.start_daemon()
        state = dg.wait_done([*low, urgent])
    finally:
        dg.stop()
    assert {state[r]["status"] for r in [*low, urgent]} == {"SUCCESS"}
    order = sorted([*low, urgent], key=lambda r: state[r]["startTime"])
    assert order[0] == urgent
    assert order[1:] == low  # equal priority: first in, first out


def test_two_ingestion_runs_of_one_cadence_never_overlap(tmp_path, monkeypatch):
    src = tmp_path / "src"
    for day in ("2026-01-05", "2026-01-06"):
        write_partition(
            src,
            day,
            {
                "OfficialRecords.exp": doc(
                    1, day.replace("-", ""), "WD", "3040120010010", consideration_1="1"
                )
            },
        )
    monkeypatch.setenv("FOLIO_SOURCE_URL", str(src))
    dg = Dagster(tmp_path, monkeypatch, max_concurrent_runs=4)
    try:
        ids = [
            launch(dg.base, "daily_ingestion", {"dagster/partition": day})
            for day in ("2026-01-05", "2026-01-06")
        ]
        ids.append(launch(dg.base, "cleanup", {}))  # another family: free to run alongside
        dg.start_daemon()
        state = dg.wait_done(ids)
    finally:
        dg.stop()
    assert [state[r]["status"] for r in ids] == ["SUCCESS"] * 3
    a, b = sorted(ids[:2], key=lambda r: state[r]["startTime"])
    assert state[a]["endTime"] <= state[b]["startTime"]  # one after the other
