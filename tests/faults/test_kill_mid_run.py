"""SIGKILL a `folio run daily` at several points (fetching, staging with COPY, merging) on
PostgreSQL: no partition is ever half written, and the next run ends with tables identical to
an uninterrupted run's (timestamps and the run's own log rows aside)."""

import os
import signal
import subprocess
import sys
import time

from sqlalchemy import func, select

from pipelines.db.engine import get_engine
from pipelines.db.migrate import upgrade
from pipelines.db.schema import STAGED_TABLES, metadata
from tests.dagster_helpers import dump_tables

DAY = "2026-01-09"
TIMESTAMPS = {"first_seen_at", "updated_at", "created_at", "scored_at", "fetched_at"}


def folio(args, cwd, db_url, **popen):
    env = {**os.environ, "FOLIO_DATABASE_URL": db_url, "COLUMNS": "200"}
    return subprocess.Popen(
        [sys.executable, "-m", "pipelines.cli", *args],
        cwd=cwd,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        **popen,
    )


def comparable(db_url) -> dict:
    tables = dump_tables(db_url, skip=("data_ingestion_logs", "raw_files"))
    out = {}
    for name, rows in tables.items():
        cols = [c.name for c in metadata.tables[name].c]
        keep = [i for i, c in enumerate(cols) if c not in TIMESTAMPS and c != "id"]
        out[name] = sorted((tuple(r[i] for i in keep) for r in rows), key=repr)
    return out


def staged_counts(db_url) -> dict[str, int]:
    with get_engine(db_url).connect() as conn:
        return {
            ft: conn.execute(select(func.count()).select_from(t)).scalar()
            for ft, t in STAGED_TABLES.items()
            if t.name.startswith("staged_") and ft in ("official_records", "cases", "parties")
        }


def test_killed_runs_leave_no_half_partition_and_the_rerun_matches(pg_database, tmp_path):
    src = tmp_path / "src"
    made = subprocess.run(
        [
            sys.executable,
            "-m",
            "pipelines.cli",
            "samples",
            "--days",
            "1",
            "--end",
            DAY,
            "--docs-per-day",
            "6000",
            "--out",
            str(src),
        ],
        capture_output=True,
        text=True,
    )
    assert made.returncode == 0, made.stdout + made.stderr
    reference, victim = pg_database(), pg_database()
    (tmp_path / "ref").mkdir()
    clean = folio(
        ["run", "daily", "--date", DAY, "--source", str(src)], tmp_path / "ref", reference
    )
    assert clean.wait(timeout=600) == 0, clean.stdout.read().decode()
    full = staged_counts(reference)
    assert full["official_records"] > 10_000
    (tmp_path / "victim").mkdir()
    upgrade(victim)  # so the first kill can land anywhere in the run, not in the migration
    for delay in (1.5, 4.0, 7.0):  # fetching, staging (COPY), merging and leads: wherever it is
        proc = folio(
            ["run", "daily", "--date", DAY, "--source", str(src)], tmp_path / "victim", victim
        )
        time.sleep(delay)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
        now = staged_counts(victim)
        for ft, n in now.items():
            assert n in (0, full[ft]), (delay, ft, n, full[ft])  # all of the partition or none
    final = folio(
        ["run", "daily", "--date", DAY, "--source", str(src)], tmp_path / "victim", victim
    )
    assert final.wait(timeout=600) == 0, final.stdout.read().decode()
    assert comparable(victim) == comparable(reference)
