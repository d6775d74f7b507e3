"""`folio health` flips its exit code for each unhealthy condition; `folio metrics` counts runs."""

import json
import time
from functools import partial

import pytest
from dagster import DagsterRunStatus
from dagster._core.scheduler.instigation import (
    InstigatorState,
    InstigatorStatus,
    InstigatorType,
    ScheduleInstigatorData,
)
from dagster._daemon.types import DaemonHeartbeat

from pipelines.control.instance import get_instance
from pipelines.db.migrate import upgrade
from pipelines.location.definitions import defs
from tests.cli import folio as run_folio

folio = partial(run_folio, columns=220, timeout=180)


def health(tmp_path, **env) -> tuple[int, dict]:
    proc = folio("health", "--json", cwd=tmp_path, env=env)
    assert proc.stdout.startswith("{"), proc.stdout + proc.stderr[-3000:]
    return proc.returncode, json.loads(proc.stdout)


def beat(instance, age: float = 0) -> None:
    for daemon in instance.get_required_daemon_types():
        instance.add_daemon_heartbeat(
            DaemonHeartbeat(
                timestamp=time.time() - age, daemon_type=daemon, daemon_id="test", errors=[]
            )
        )


@pytest.fixture
def healthy(tmp_path):
    upgrade(f"sqlite:///{tmp_path / 'data' / 'folio.db'}")
    instance = get_instance()
    beat(instance)
    return instance


def failed(checks: dict) -> set[str]:
    return {c["name"] for c in checks["checks"] if not c["ok"]}


def test_healthy(healthy, tmp_path):
    code, data = health(tmp_path)
    assert (code, data["healthy"], failed(data)) == (0, True, set())
    assert {c["name"] for c in data["checks"]} == {
        "database",
        "dagster_storage",
        "daemon",
        "schedules",
        "failure_rate",
        "records_api_units",
    }
    text = folio("health", cwd=tmp_path)
    assert text.returncode == 0 and "healthy" in text.stdout


def test_database_unreachable(healthy, tmp_path):
    code, data = health(
        tmp_path, FOLIO_DATABASE_URL="postgresql+psycopg2://nobody:secret@127.0.0.1:1/none"
    )
    assert (code, failed(data)) == (1, {"database"})
    assert "secret" not in json.dumps(data) and "***" in json.dumps(data)


def test_dagster_storage_unreachable(healthy, tmp_path):
    code, data = health(
        tmp_path,
        DAGSTER_HOME=str(tmp_path / "pg_home"),
        DAGSTER_PG_URL="postgresql+psycopg2://nobody@127.0.0.1:1/none",
    )
    (tmp_path / "pg_home").mkdir(exist_ok=True)
    assert code == 1 and "dagster_storage" in failed(data)


def test_stale_daemon(healthy, tmp_path):
    beat(healthy, age=3600)
    code, data = health(tmp_path)
    assert (code, failed(data)) == (1, {"daemon"})


def schedule_state(instance, name: str, status, data) -> None:
    """Store a schedule's state as the daemon would (on/off, cron, when it started)."""
    from dagster._core.remote_origin import (
        InProcessCodeLocationOrigin,
        RemoteInstigatorOrigin,
        RemoteRepositoryOrigin,
    )
    from dagster._core.types.loadable_target_origin import LoadableTargetOrigin

    origin = RemoteInstigatorOrigin(
        RemoteRepositoryOrigin(
            InProcessCodeLocationOrigin(
                LoadableTargetOrigin(module_name="pipelines.location.definitions")
            ),
            "__repository__",
        ),
        name,
    )
    instance.add_instigator_state(InstigatorState(origin, InstigatorType.SCHEDULE, status, data))


def test_missed_schedule_tick(healthy, tmp_path):
    started = time.time() - 3 * 86400
    schedule_state(
        healthy,
        "lead_scoring_schedule",
        InstigatorStatus.RUNNING,
        ScheduleInstigatorData("0 2 * * *", start_timestamp=started),
    )
    code, data = health(tmp_path)
    assert (code, failed(data)) == (1, {"schedules"})
    assert "lead_scoring_schedule missed its" in json.dumps(data)


def test_failure_rate_and_metrics(healthy, tmp_path):
    job = defs.resolve_job_def("lead_scoring")
    for status in (
        (DagsterRunStatus.FAILURE,) * 3
        + (DagsterRunStatus.SUCCESS,) * 2
        + (DagsterRunStatus.NOT_STARTED,)
    ):
        healthy.create_run_for_job(job, run_config={}, status=status)
    code, data = health(tmp_path)
    assert (code, failed(data)) == (1, {"failure_rate"})
    assert "3 of 5 runs failed" in json.dumps(data)
    proc = folio("metrics", "--json", cwd=tmp_path)
    m = json.loads(proc.stdout)["lead_scoring"]
    assert (
        m["queued"],
        m["succeeded_1h"],
        m["failed_1h"],
        m["failed_rate_1h"],
        m["succeeded_24h"],
    ) == (1, 2, 3, 0.6, 2)
    assert folio("metrics", cwd=tmp_path).returncode == 0


def test_no_daemon_is_one_line(tmp_path):
    upgrade(f"sqlite:///{tmp_path / 'data' / 'folio.db'}")
    code, data = health(tmp_path)
    [daemon] = [c for c in data["checks"] if c["name"] == "daemon"]
    assert code == 1 and not daemon["ok"]
    assert daemon["detail"].startswith("the Dagster daemon is not running (no heartbeat from any")
    assert daemon["detail"].count("heartbeat") == 1


def test_schedules_run_by_default_and_one_turned_off_is_reported(healthy, tmp_path):
    assert {s.name: s.default_status.value for s in defs.schedules} == {
        s.name: "RUNNING" for s in defs.schedules
    }
    schedule_state(
        healthy,
        "daily_ingestion_schedule",
        InstigatorStatus.STOPPED,
        ScheduleInstigatorData("0 6 * * 1-5"),
    )
    code, data = health(tmp_path)
    assert (code, failed(data)) == (1, {"schedules"})
    [check] = [c for c in data["checks"] if c["name"] == "schedules"]
    assert check["detail"] == f"1 of {len(defs.schedules)} off: daily_ingestion_schedule"


def test_schedules_meant_to_be_off_are_said_but_healthy(healthy, tmp_path):
    code, data = health(tmp_path, FOLIO_SCHEDULES="stopped")
    [check] = [c for c in data["checks"] if c["name"] == "schedules"]
    assert code == 0 and check["ok"]
    assert check["detail"].startswith(
        f"{len(defs.schedules)} of {len(defs.schedules)} off (FOLIO_SCHEDULES=stopped): "
    )
