"""A finally-failed run lands in failed_jobs once, alerts once, and `folio dlq retry` runs it
again; a later success of its job and partition resolves it, whoever launched that run."""

import json
import os
import subprocess
import sys

from dagster import DagsterEventType, DagsterInstance, RunsFilter, build_run_status_sensor_context

from pipelines.control.instance import get_instance
from pipelines.control.runner import run_partition, run_partitions
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
    assert after["status"] == "resolved" and after["retry_run_id"]
    assert after["resolved_run_id"] == after["retry_run_id"]  # the retry that succeeded
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


DIGEST = "daily_digest_emails"  # a quick partitioned job: the rules are the same for every job


def _killed_run(instance: DagsterInstance, day: str, family: str = "reports"):
    """A run of `job` for `day` whose process died mid-run, marked failed as the
    orphaned-runs sensor marks it."""
    import socket

    from pipelines.location.definitions import defs

    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    tags = {
        "folio/process": f"{socket.gethostname()}:{proc.pid}",
        "folio/family": family,
        "dagster/partition": day,
    }
    return instance.create_run_for_job(
        defs.resolve_job_def(DIGEST), run_config={}, tags=tags, status="STARTED"
    )


def _database(tmp_path) -> str:
    from pipelines.db.migrate import upgrade

    url = f"sqlite:///{tmp_path / 'data' / 'folio.db'}"
    upgrade(url)
    return url


def test_a_killed_run_s_entry_resolves_when_a_later_cli_run_of_its_partition_succeeds(tmp_path):
    from sensors.orphaned_runs import fail_orphaned_runs

    url = _database(tmp_path)
    instance = get_instance()
    killed = _killed_run(instance, DAY)
    assert fail_orphaned_runs(instance) == [killed.run_id]
    _evaluate(instance, killed.run_id, url)  # the daemon's failure sensor records it
    [entry] = list_failed(get_engine(url))
    assert (entry["run_id"], entry["partition_key"], entry["status"]) == (
        killed.run_id,
        DAY,
        "open",
    )

    other_day = run_partition(instance, DIGEST, "2026-01-06")  # another partition: no
    assert other_day.success and len(list_failed(get_engine(url))) == 1

    outcome = run_partition(instance, DIGEST, DAY)  # `folio run` of the same partition
    assert outcome.success
    assert list_failed(get_engine(url)) == []  # none open
    [entry] = list_failed(get_engine(url), None)
    ended = instance.get_run_record_by_id(outcome.run_id).end_time
    assert (entry["status"], entry["resolved_run_id"]) == ("resolved", outcome.run_id)
    assert abs(entry["resolved_at"].timestamp() - ended) < 0.001


def test_a_run_killed_before_a_rerun_succeeded_is_recorded_resolved_and_pages_nobody(tmp_path):
    """The orphaned-runs sensor only notices a dead process a minute later: by then a rerun
    of the partition may have succeeded. The failure is kept, resolved by that rerun."""
    from sensors.orphaned_runs import fail_orphaned_runs

    url = _database(tmp_path)
    instance = get_instance()
    killed = _killed_run(instance, DAY, family="ingestion")  # critical: would page
    rerun = run_partition(instance, DIGEST, DAY)
    assert rerun.success
    assert fail_orphaned_runs(instance) == [killed.run_id]  # noticed after the rerun
    _evaluate(instance, killed.run_id, url)
    [entry] = list_failed(get_engine(url), None)
    assert (entry["run_id"], entry["status"], entry["resolved_run_id"], entry["alerted"]) == (
        killed.run_id,
        "resolved",
        rerun.run_id,
        False,
    )
    assert not (tmp_path / "data" / "outbox" / "admin_alerts").exists()


def _succeeded_by_the_daemon(instance: DagsterInstance, day: str):
    """A successful run the daemon launched: executed without the CLI runner (which would
    resolve itself), so only the success sensor resolves for it."""
    from pipelines.location.definitions import defs

    result = defs.resolve_job_def(DIGEST).execute_in_process(instance=instance, partition_key=day)
    assert result.success
    return instance.get_run_by_id(result.run_id)


def _evaluate_success(instance: DagsterInstance, run, url: str) -> None:
    from dagster import build_run_status_sensor_context

    from sensors.run_failures import dead_letter_resolution_sensor

    [success] = [
        e.dagster_event for e in instance.all_logs(run.run_id, of_type=DagsterEventType.RUN_SUCCESS)
    ]
    ctx = build_run_status_sensor_context(
        sensor_name="dead_letter_resolution_sensor",
        dagster_instance=instance,
        dagster_run=run,
        dagster_event=success,
        resources={"database": FolioDatabase(url=url)},
    )
    dead_letter_resolution_sensor(ctx)


def test_the_success_sensor_resolves_only_failures_before_the_success(tmp_path):
    from sensors.orphaned_runs import fail_orphaned_runs

    url = _database(tmp_path)
    instance = get_instance()
    earlier = _succeeded_by_the_daemon(instance, DAY)
    killed = _killed_run(instance, DAY)  # started after `earlier` ended
    fail_orphaned_runs(instance)
    _evaluate(instance, killed.run_id, url)
    _evaluate_success(instance, earlier, url)  # an older success, seen late: not this one
    [entry] = list_failed(get_engine(url))
    assert entry["run_id"] == killed.run_id

    later = _succeeded_by_the_daemon(instance, DAY)
    _evaluate_success(instance, later, url)
    _evaluate_success(instance, later, url)  # a replay: nothing more
    [entry] = list_failed(get_engine(url), None)
    ended = instance.get_run_record_by_id(later.run_id).end_time
    assert (entry["status"], entry["resolved_run_id"]) == ("resolved", later.run_id)
    assert abs(entry["resolved_at"].timestamp() - ended) < 0.001
