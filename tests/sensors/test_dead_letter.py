"""A finally-failed run lands in failed_jobs once, alerts once, and `folio dlq retry` runs it
again."""

import json
import os
import subprocess
import sys

from dagster import DagsterEventType, DagsterInstance, RunsFilter, build_run_status_sensor_context

from pipelines.control.instance import get_instance
from pipelines.control.runner import run_partitions
from pipelines.db.engine import get_engine
from pipelines.upkeep.dead_letters import list_failed
from resources.database import FolioDatabase
from sensors.run_failures import dead_letter_sensor
from tests.builders import doc, write_partition
from tests.fake_providers import FakeSendGrid

DAY = "2026-01-05"


def _evaluate(instance: DagsterInstance, run_id: str, url: str):
    run = instance.get_run_by_id(run_id)
    failure = next(
        e.dagster_event for e in instance.all_logs(run_id, of_type=DagsterEventType.RUN_FAILURE)
    )
    ctx = build_run_status_sensor_context(
        sensor_name="dead_letter_sensor",
        dagster_instance=instance,
        dagster_run=run,
        dagster_event=failure,
        resources={"database": FolioDatabase(url=url)},
    ).for_run_failure()
    dead_letter_sensor(ctx)


def test_failed_run_to_dead_letter_and_back(tmp_path, monkeypatch):
    src = tmp_path / "src"
    write_partition(
        src, DAY, {"OfficialRecords.exp": ["^".join(["x"] * 50)] * 2}
    )  # unreadable: fails at once
    monkeypatch.setenv("FOLIO_SOURCE_URL", str(src))
    url = f"sqlite:///{tmp_path / 'data' / 'folio.db'}"
    from pipelines.db.migrate import upgrade

    upgrade(url)
    instance = get_instance()
    # The admin alert also goes out by email (through SendGrid here, a local fake).
    monkeypatch.setenv("FOLIO_ADMIN_EMAIL", "ops@folio.example")
    monkeypatch.setenv("SENDGRID_API_KEY", "SG.admin-test")
    with FakeSendGrid("SG.admin-test") as sendgrid:
        monkeypatch.setenv("FOLIO_SENDGRID_BASE_URL", sendgrid.url)
        # The runner records a run it executed itself; the daemon's sensor, seeing the same
        # failure (twice: a replay), adds nothing and alerts nobody again.
        outcome = run_partitions(instance, "daily", [DAY])
        assert not outcome.success
        _evaluate(instance, outcome.run_id, url)
        _evaluate(instance, outcome.run_id, url)
    [mail] = sendgrid.accepted
    assert mail["personalizations"][0]["to"][0]["email"] == "ops@folio.example"
    assert mail["subject"].startswith(
        "[Folio admin_alert] daily_ingestion partition 2026-01-05 failed"
    )
    monkeypatch.delenv("SENDGRID_API_KEY")
    rows = list_failed(get_engine(url))
    assert len(rows) == 1
    row = rows[0]
    assert (
        row["run_id"],
        row["job_name"],
        row["partition_key"],
        row["attempts"],
        row["status"],
        row["alerted"],
    ) == (outcome.run_id, "daily_ingestion", DAY, 1, "open", True)
    assert (
        row["error_class"] == "FileUnreadableError"
        and "OfficialRecords.exp: line 1: 50 fields" in row["error_message"]
    )
    assert json.loads(row["tags"])["folio/family"] == "ingestion"
    alerts = list((tmp_path / "data" / "outbox" / "admin_alerts").iterdir())
    assert (
        len(alerts) == 1 and "daily_ingestion partition 2026-01-05 failed" in alerts[0].read_text()
    )

    write_partition(
        src,
        DAY,
        {"OfficialRecords.exp": doc(1, "20260105", "WD", "3040120010010", consideration_1="1")},
    )
    env = {**os.environ, "COLUMNS": "200"}
    proc = subprocess.run(
        [sys.executable, "-m", "pipelines.cli", "dlq", "retry", str(row["id"])],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert f"entry {row['id']}: retry run" in proc.stdout
    after = list_failed(get_engine(url), None)[0]
    assert after["status"] == "retried" and after["retry_run_id"]
    runs = DagsterInstance.get().get_runs(RunsFilter(job_name="daily_ingestion"))
    assert [r.status.value for r in runs] == ["SUCCESS", "FAILURE"]
    assert runs[0].tags["dagster/partition"] == DAY
    again = subprocess.run(
        [sys.executable, "-m", "pipelines.cli", "dlq", "discard", str(row["id"]), "--why", "x"],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=120,
    )
    assert again.returncode == 1 and "is not an open dead-letter entry" in again.stdout
