"""Delayed one-off jobs: due requests launch once, future ones wait, a replayed tick adds
nothing."""

import json
import subprocess
from datetime import timedelta
from functools import partial

from click.testing import CliRunner
from dagster import DagsterInstance, build_sensor_context

from pipelines import clock
from pipelines.cli import main
from pipelines.db.engine import get_engine
from pipelines.db.migrate import upgrade
from pipelines.location.definitions import defs
from resources.database import FolioDatabase
from tests.cli import folio as run_folio

due_jobs_sensor = defs.resolve_sensor_def("due_jobs_sensor")


folio = partial(run_folio, columns=200, timeout=120)


def test_due_requests_launch_once(tmp_path):
    url = f"sqlite:///{tmp_path / 'data' / 'folio.db'}"
    upgrade(url)
    past = (clock.now() - timedelta(minutes=5)).isoformat()
    later = (clock.now() + timedelta(days=1)).isoformat()
    cfg = tmp_path / "cfg.yaml"
    cfg.write_text("{}\n")
    assert (
        folio(
            "schedule", "lead_scoring", "--at", "now", "--config", str(cfg), cwd=tmp_path
        ).returncode
        == 0
    )
    assert folio("schedule", "cleanup", "--at", later, cwd=tmp_path).returncode == 0
    daily = folio(
        "schedule", "daily_ingestion", "--at", "now", "--partition", "2026-01-05", cwd=tmp_path
    )
    assert daily.returncode == 0 and "run_key scheduled-job-3" in daily.stdout
    bad = folio("schedule", "nope", "--at", "now", cwd=tmp_path)
    assert bad.returncode == 1 and "no job 'nope'" in bad.stdout
    # In-process from here on (the same command line, without a process start per call).
    cli = CliRunner()

    def folio_here(*args):
        result = cli.invoke(main, list(args))
        return subprocess.CompletedProcess(args, result.exit_code, result.output, "")

    gone = folio_here("schedule", "cleanup", "--at", past)
    assert gone.returncode == 1 and "is in the past" in " ".join(gone.stdout.split())
    listed = json.loads(folio_here("schedule", "list", "--json").stdout)
    assert [(r["id"], r["job_name"], r["status"]) for r in listed] == [
        (1, "lead_scoring", "pending"),
        (3, "daily_ingestion", "pending"),
        (2, "cleanup", "pending"),
    ]
    assert folio_here("schedule", "cancel", "2").returncode == 0
    again = folio_here("schedule", "cancel", "2")
    assert again.returncode == 1 and "no pending scheduled job 2" in again.stdout
    assert [r["id"] for r in json.loads(folio_here("schedule", "list", "--json").stdout)] == [1, 3]
    when = folio_here("schedule", "cleanup", "--at", "tomorrow")
    assert when.returncode == 1 and "is not a date-time" in when.stdout

    ctx = lambda: build_sensor_context(
        instance=DagsterInstance.ephemeral(), resources={"database": FolioDatabase(url=url)}
    )
    first = due_jobs_sensor(ctx())
    assert [(r.job_name, r.run_key, r.partition_key) for r in first] == [
        ("lead_scoring", "scheduled-job-1", None),
        ("daily_ingestion", "scheduled-job-3", "2026-01-05"),
    ]
    replay = due_jobs_sensor(ctx())
    assert "no scheduled job is due" in replay.skip_message  # the future one waits; nothing twice
    from sqlalchemy import select

    from pipelines.db.schema import scheduled_jobs

    with get_engine(url).connect() as conn:
        assert conn.execute(
            select(scheduled_jobs.c.id, scheduled_jobs.c.status).order_by(scheduled_jobs.c.id)
        ).all() == [(1, "launched"), (2, "canceled"), (3, "launched")]
