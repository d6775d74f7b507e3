"""The operator's queue dashboard and job API through a real `folio serve`: the admin key,
/queues equal to the instance's runs (and to `folio metrics`), a job's state, progress,
attempts and failure, cancel, and retry over HTTP (submitted to the run queue, never executed
in the web server),
discard, scheduled one-offs, and the /admin page rendered in headless Chromium."""

from __future__ import annotations

import json

import httpx
from dagster import DagsterRunStatus

from pipelines.control.instance import get_instance
from pipelines.control.runner import run_partition, run_partitions
from pipelines.db.engine import get_engine
from pipelines.db.migrate import upgrade
from pipelines.location.definitions import defs
from pipelines.upkeep.dead_letters import list_failed
from pipelines.upkeep.delayed_jobs import schedule_job
from tests.builders import write_partition
from tests.e2e.test_ui import OUT, chromium, render  # noqa: F401 - the chromium fixture
from tests.servers import folio_serve

KEY = "admin-key-for-tests-7f3a"
DAY = "2026-01-05"


def _seed(tmp_path, monkeypatch):
    src = tmp_path / "src"
    write_partition(src, DAY, {"OfficialRecords.exp": "\r\n" * 5})  # blank: fails at once
    monkeypatch.setenv("FOLIO_SOURCE_URL", str(src))
    url = f"sqlite:///{tmp_path / 'data' / 'folio.db'}"
    upgrade(url)
    instance = get_instance()
    failed = run_partitions(instance, "daily", [DAY])
    assert not failed.success
    done = run_partition(instance, "daily_digest_emails", "2026-11-23")
    assert done.success
    queued = instance.create_run_for_job(
        defs.resolve_job_def("lead_scoring"), run_config={}, status=DagsterRunStatus.NOT_STARTED
    )
    from datetime import datetime, timezone

    schedule_job(get_engine(url), "cleanup", datetime(2099, 1, 1, tzinfo=timezone.utc))
    return url, failed.run_id, queued.run_id


def test_queues_jobs_dlq_and_scheduled_over_http(tmp_path, monkeypatch, chromium):  # noqa: F811
    url, failed_id, queued_id = _seed(tmp_path, monkeypatch)
    monkeypatch.setenv("FOLIO_ADMIN_API_KEY", KEY)
    h = {"X-Admin-Key": KEY}
    with folio_serve(url, tmp_path) as base, httpx.Client(base_url=base, timeout=60) as http:
        denied = http.get("/queues")
        assert denied.status_code == 401 and denied.headers["WWW-Authenticate"].startswith("Basic")
        assert http.get("/queues", headers={"X-Admin-Key": "wrong"}).status_code == 401
        assert http.get("/queues", auth=("ops", KEY)).status_code == 200  # HTTP Basic works too

        queues = http.get("/queues", headers=h).json()["queues"]
        assert (queues["daily_ingestion"]["failed_1h"], queues["daily_ingestion"]["waiting"]) == (
            1,
            0,
        )
        assert (queues["lead_scoring"]["waiting"], queues["lead_scoring"]["active"]) == (1, 0)
        assert queues["daily_digest_emails"]["succeeded_1h"] == 1
        assert queues["cleanup"]["delayed"] == 1

        job = http.get(f"/jobs/{failed_id[:8]}", headers=h).json()
        assert (job["run_id"], job["state"], job["attempts"], job["max_attempts"]) == (
            failed_id,
            "failed",
            1,
            3,
        )
        assert "no data rows" in job["failure"]
        assert job["progress"]["unit"] == "steps" and job["progress"]["total"] >= 12

        page = tmp_path / "profile"
        OUT.mkdir(parents=True, exist_ok=True)
        shot = OUT / "admin.png"
        authed = base.replace("http://", f"http://ops:{KEY}@") + "/admin"
        dom = render(chromium, authed, page, screenshot=shot)
        assert queued_id in dom and failed_id in dom  # the waiting job and the failed one
        assert "waiting" in dom and "no data rows" in dom and "2099-01-01 00:00" in dom
        assert shot.stat().st_size > 20_000

        canceled = http.delete(f"/jobs/{queued_id}", headers=h).json()
        assert canceled == {"run_id": queued_id, "state": "CANCELED"}
        assert get_instance().get_run_by_id(queued_id).status == DagsterRunStatus.CANCELED
        assert http.delete(f"/jobs/{queued_id}", headers=h).status_code == 409

        [entry] = http.get("/dlq", headers=h).json()["entries"]
        assert (entry["run_id"], entry["attempts"]) == (failed_id, 1)
        answer = http.post(f"/dlq/{entry['id']}/retry", headers=h)
        assert answer.status_code == 202
        retried = answer.json()
        assert (retried["id"], retried["retry_of"], retried["state"]) == (
            entry["id"],
            failed_id,
            "queued",
        )
        assert "no dagster-daemon" in retried["waiting"]
        # The web server executed nothing: the retry waits in the run queue for a daemon,
        # with the failed run's partition and the link back to it.
        retry = get_instance().get_run_by_id(retried["run_id"])
        assert (retry.status, retry.tags["folio/retry_of"], retry.job_name) == (
            DagsterRunStatus.QUEUED,
            failed_id,
            "daily_ingestion",
        )
        assert (
            retry.tags["dagster/partition"]
            == get_instance().get_run_by_id(failed_id).tags["dagster/partition"]
        )
        [entry] = http.get("/dlq", headers=h).json()["entries"]
        assert (entry["attempts"], entry["status"]) == (1, "open")
        gone = http.post(f"/dlq/{entry['id']}/discard", headers=h, json={"why": "file re-sent"})
        assert gone.json() == {"id": entry["id"], "status": "discarded", "why": "file re-sent"}
        assert http.get("/dlq", headers=h).json() == {"entries": []}

        [one_off] = http.get("/scheduled", headers=h).json()["scheduled"]
        assert http.delete(f"/scheduled/{one_off['id']}", headers=h).json()["status"] == "canceled"
        assert http.delete(f"/scheduled/{one_off['id']}", headers=h).status_code == 404
    assert list_failed(get_engine(url), "discarded")[0]["discard_reason"] == "file re-sent"
    metrics = json.loads(
        __import__("subprocess")
        .run(
            [__import__("sys").executable, "-m", "pipelines.cli", "metrics", "--json"],
            capture_output=True,
            text=True,
            cwd=tmp_path,
            timeout=120,
        )
        .stdout
    )
    assert (metrics["daily_ingestion"]["failed_1h"], metrics["daily_ingestion"]["queued"]) == (
        1,
        1,  # its retry, waiting for a daemon
    )
