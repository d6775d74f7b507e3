"""`folio backfill daily` in-process vs on Celery workers (2 worker processes), on the same
files, PostgreSQL for Folio's tables and Dagster's storage in both, timed as processes.

    .venv/bin/python benchmarks/celery_backfill.py [--days 250] [--rows-per-day 12000]
        [--pg-url postgresql+psycopg2://postgres@127.0.0.1:5432/postgres]
        [--broker pyamqp://guest:guest@127.0.0.1:5672//]

Needs PostgreSQL and RabbitMQ (as on CI). The Celery run starts one `dagster-celery worker`
with `--concurrency=2` on a queue of its own, then `FOLIO_EXECUTOR=celery folio backfill`.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).parent))

import ingest as core  # noqa: E402 - benchmarks/ingest.py: a fresh database per run
from run_path import (  # noqa: E402
    BACKFILL_END,
    DAILY_START,
    backfill_args,
    business_days,
    count_lines,
    steps,
    timed_process,
    write_days,
)

from tests.integration.test_celery import start_worker, stop_group  # noqa: E402

print = core.print  # noqa: A001 - flushed progress lines
FOLIO = [sys.executable, "-m", "pipelines.cli"]


def one(kind: str, fill: list[str], pg_url: str, broker: str, work: Path) -> dict:
    folio_db, dagster_db = core.Database(pg_url), core.Database(pg_url)
    home = work / f"home-{kind}-{uuid.uuid4().hex[:6]}"
    home.mkdir()
    env = {
        **os.environ,
        "FOLIO_DATABASE_URL": folio_db.url,
        "DAGSTER_PG_URL": dagster_db.url,
        "DAGSTER_HOME": str(home),
        "FOLIO_DATA_DIR": str(work / f"data-{kind}"),
        "FOLIO_DAILY_START_DATE": DAILY_START,
        "COLUMNS": "100",
    }
    from pipelines.control.instance import instance_yaml

    os.environ["DAGSTER_PG_URL"] = dagster_db.url
    (home / "dagster.yaml").write_text(instance_yaml())  # PostgreSQL storage, by env var
    worker = None
    try:
        # Folio's schema and Dagster's tables, created once before any worker starts.
        subprocess.run(
            [*FOLIO, "db", "upgrade"], env=env, cwd=work, check=True, capture_output=True
        )
        if kind == "celery":
            queue = f"folio-bench-{uuid.uuid4().hex[:8]}"
            env.update(
                FOLIO_EXECUTOR="celery", FOLIO_CELERY_BROKER=broker, FOLIO_CELERY_QUEUE=queue
            )
            os.environ.update(env)  # the worker inherits this process's environment
            worker = start_worker(work, queue)
            time.sleep(8)  # the worker's imports; not the backfill's time
        seconds, rss, _ = timed_process([*FOLIO, *fill], env, work)
        os.environ["DAGSTER_HOME"] = str(home)
        breakdown = steps(home)
    finally:
        if worker is not None:
            stop_group(worker)
        folio_db.drop()
        dagster_db.drop()
    return {"seconds": seconds, "rss": rss, "steps": breakdown}


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--days", type=int, default=250)
    ap.add_argument("--rows-per-day", type=int, default=12_000)
    ap.add_argument("--parcels", type=int, default=480_000)
    ap.add_argument("--pg-url", default="postgresql+psycopg2://postgres@127.0.0.1:5432/postgres")
    ap.add_argument("--broker", default="pyamqp://guest:guest@127.0.0.1:5672//")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        days = business_days(BACKFILL_END, args.days)
        path = write_days(work / "src", days, args.rows_per_day, args.parcels)
        n = count_lines(path)
        print(f"generated {len(days)} days, {n:,} OfficialRecords lines")
        fill = backfill_args(days, work / "src")
        results = {}
        for kind in ("in_process", "celery"):
            results[kind] = one(kind, fill, args.pg_url, args.broker, work)
            print(
                f"{kind}: {results[kind]['seconds']:.1f} s, "
                f"peak RSS {results[kind]['rss']:.0f} MiB (the folio process)"
            )
        ratio = results["in_process"]["seconds"] / results["celery"]["seconds"]
        print(f"\nin-process / celery (2 worker processes) = {ratio:.2f}")
        for kind, r in results.items():
            print(f"slowest steps, {kind}:")
            for key, seconds in r["steps"][:6]:
                print(f"  {key:<40}{seconds:>8.1f} s")


if __name__ == "__main__":
    main()
