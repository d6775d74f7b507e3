"""Scale-out by configuration: the daily ingestion job's steps run on a real Celery worker.

RabbitMQ broker, Dagster storage and product tables in PostgreSQL, a worker process
started by the test (`dagster-celery worker start`) on a queue of its own, so no other
worker on the same broker can take these tasks.
"""

import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

from dagster import DagsterInstance, DagsterRunStatus
from sqlalchemy import create_engine, text

from pipelines.control.instance import instance_yaml
from tests.builders import doc, write_partition
from tests.conftest import dagster_pg_url

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


def start_worker(tmp_path: Path, queue: str) -> subprocess.Popen:
    config = tmp_path / "celery.yaml"
    config.write_text(
        "execution:\n  config:\n    broker: {env: FOLIO_CELERY_BROKER}\n    backend: rpc://\n"
        f"    config_source: {{task_default_queue: {queue}}}\n"
    )
    env = {
        **os.environ,
        "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
        "PYTHONPATH": str(ROOT),
    }
    # Its own session: the worker forks `celery` children, killed with the whole group.
    return subprocess.Popen(
        [
            str(BIN / "dagster-celery"),
            "worker",
            "start",
            "-A",
            "dagster_celery.app",
            "-y",
            str(config),
            "-q",
            queue,
            "--",
            "--concurrency=2",
            "--pool=prefork",
        ],
        cwd=ROOT,
        env=env,
        start_new_session=True,
        stdout=(tmp_path / "worker.log").open("w"),
        stderr=subprocess.STDOUT,
    )


def stop_group(worker: subprocess.Popen) -> None:
    """SIGTERM the worker's whole process group (celery's warm shutdown), SIGKILL after 20 s."""
    os.killpg(worker.pid, signal.SIGTERM)
    worker.wait(timeout=20)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            os.killpg(worker.pid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.2)
    os.killpg(worker.pid, signal.SIGKILL)


def test_daily_ingestion_runs_on_a_celery_worker(
    rabbitmq, pg_url, pg_database, tmp_path, monkeypatch
):
    dagster_url = dagster_pg_url(pg_database())
    queue = f"folio-test-{uuid.uuid4().hex[:8]}"
    for key, value in {
        "DAGSTER_PG_URL": dagster_url,
        "FOLIO_DATABASE_URL": pg_url,
        "FOLIO_EXECUTOR": "celery",
        "FOLIO_CELERY_BROKER": rabbitmq,
        "FOLIO_CELERY_QUEUE": queue,
        "FOLIO_SOURCE_URL": str(tmp_path / "src"),
    }.items():
        monkeypatch.setenv(key, value)
    write_partition(
        tmp_path / "src",
        "2026-01-05",
        {
            "OfficialRecords.exp": [
                *doc(
                    1,
                    "20260105",
                    "WD",
                    "3040120010010",
                    consideration_1="250000",
                    grantee="NEW OWNER",
                ),
                *doc(2, "20260105", "LIS", "3040120010020"),
            ]
        },
    )
    home = tmp_path / "dagster_home_pg"
    home.mkdir()
    (home / "dagster.yaml").write_text(instance_yaml())  # PostgreSQL storage, by env var
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    # Create Dagster's tables once, before two processes (worker, run) race to create them.
    DagsterInstance.get().dispose()
    worker = start_worker(tmp_path, queue)
    try:
        # The operator's path: `folio run` in its own process, configured only by environment.
        proc = subprocess.run(
            [sys.executable, "-m", "pipelines.cli", "run", "daily", "--date", "2026-01-05"],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=240,
        )
    finally:
        stop_group(worker)
    log = (tmp_path / "worker.log").read_text()
    assert proc.returncode == 0, (
        f"{proc.stdout}\n{proc.stderr[-3000:]}\n--- worker log ---\n{log[-4000:]}"
    )
    instance = DagsterInstance.get()
    [run] = instance.get_runs()
    assert run.status == DagsterRunStatus.SUCCESS and run.tags["dagster/partition"] == "2026-01-05"

    # Every step ran as a Celery task on that worker, not in this process.
    records = instance.all_logs(run.run_id)
    submitted = [r for r in records if "Submitting celery task" in (r.user_message or "")]
    steps = {
        r.step_key
        for r in records
        if r.dagster_event and r.dagster_event.event_type_value == "STEP_SUCCESS"
    }
    assert len(submitted) == len(steps) >= 12
    assert all(f'to queue "{queue}"' in r.user_message for r in submitted)
    assert "execute_plan" in log and "succeeded" in log
    instance.dispose()

    product = create_engine(pg_url)
    with product.connect() as conn:
        owners = conn.execute(
            text("SELECT folio, owner_name, last_sale_price FROM properties ORDER BY folio")
        ).all()
        leads = conn.execute(text("SELECT lead_type, folio FROM leads ORDER BY lead_type")).all()
    product.dispose()
    assert owners == [
        ("3040120010010", "NEW OWNER", 250000),
        ("3040120010020", None, None),
    ]  # a lis pendens names no owner
    assert leads == [("foreclosure", "3040120010020"), ("new_homeowner", "3040120010010")]
    dagster = create_engine(dagster_url)
    with dagster.connect() as conn:
        status = conn.execute(
            text("SELECT status FROM runs WHERE run_id = :r"), {"r": run.run_id}
        ).scalar_one()
    dagster.dispose()
    assert status == "SUCCESS"
