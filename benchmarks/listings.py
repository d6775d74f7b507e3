"""Listings → alerts throughput on the embedded default (SQLite, rule scorer, file outbox).

    .venv/bin/python benchmarks/listings.py [--listings 10000] [--interval 5] [--pg postgresql+psycopg2://postgres@127.0.0.1/postgres]

Submits N listings in one intake call for a tenant with two subscribers (one takes every
listing, one the default min score 70), then plays the daemon: every `--interval` seconds
it ticks the new-listings sensor and then the email-outbox sensor, executing their runs
in-process, until every listing is scored and matched and the outbox is drained. The first
tick comes a full interval after the insert (the worst case of a 5 s sensor). Prints:
  (a) time until all are scored and matched, and listings per minute
  (b) p50/p95 latency from a listing's insert to the notification row (and the email
      written) that carries it: a subscriber with more than ten new matches at once gets
      one email carrying them all
  (c) Dagster runs it took
Targets: p95 <= 15 s, >= 10,000 listings/min, runs << listings.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--listings", type=int, default=10_000)
    parser.add_argument("--interval", type=float, default=5.0, help="sensor interval (s)")
    parser.add_argument(
        "--pg",
        help="admin URL of a PostgreSQL server: run on a fresh database there "
        "instead of the embedded SQLite",
    )
    args = parser.parse_args()

    from sqlalchemy import create_engine, func, select, text

    work = Path(tempfile.mkdtemp(prefix="folio-bench-listings-"))
    os.environ["FOLIO_DATA_DIR"] = str(work / "data")
    os.environ.pop("DAGSTER_HOME", None)
    os.environ.pop("FOLIO_DATABASE_URL", None)
    if args.pg:
        import uuid

        db_name = f"folio_bench_{uuid.uuid4().hex[:8]}"
        with create_engine(args.pg, isolation_level="AUTOCOMMIT").connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{db_name}"'))
        os.environ["FOLIO_DATABASE_URL"] = args.pg.rsplit("/", 1)[0] + f"/{db_name}"

    from pipelines.accounts.criteria import Criteria
    from pipelines.accounts.subscribers import set_criteria
    from pipelines.accounts.tenants import add_tenant, get_tenant
    from pipelines.alerts.subscriptions import add_subscriber
    from pipelines.control.instance import get_instance
    from pipelines.control.runner import tick_sensor
    from pipelines.db.engine import get_engine
    from pipelines.db.migrate import upgrade
    from pipelines.db.schema import alert_matches, listing_scores, listings, notifications
    from pipelines.listings.readers import RawRecord
    from pipelines.listings.samples import sample_listings
    from pipelines.listings.store import ingest_records
    from pipelines.settings import get_settings

    url = get_settings().resolved_database_url
    upgrade(url)
    engine = get_engine(url)
    add_tenant(engine, "bench", "Bench")
    tenant = get_tenant(engine, "bench")
    everyone = add_subscriber(engine, tenant["id"], "all@bench.example")
    set_criteria(engine, tenant["id"], everyone, Criteria(min_score=0))
    add_subscriber(engine, tenant["id"], "picky@bench.example")
    instance = get_instance()
    # Warm imports and the code location (a running daemon has them loaded).
    tick_sensor(instance, "email_outbox_sensor", None)

    rows = sample_listings(args.listings, prefix="BENCH")
    records = [RawRecord(n, json.dumps(r), r) for n, r in enumerate(rows, start=1)]
    t0 = time.perf_counter()
    inserted_at = datetime.now(timezone.utc)
    result = ingest_records(engine, tenant, records, "cli", "bench")
    t_insert = time.perf_counter() - t0
    cursors = {"new_listings_sensor": None, "email_outbox_sensor": "0"}
    runs = {"new_listings_sensor": 0, "email_outbox_sensor": 0}
    t_scored = None
    while True:
        time.sleep(max(0.0, args.interval - ((time.perf_counter() - t0) % args.interval)))
        busy = False
        for name in cursors:
            out = tick_sensor(instance, name, cursors[name])
            cursors[name] = out.cursor
            runs[name] += len(out.runs)
            assert all(r.success for r in out.runs), [r.error for r in out.runs]
            busy = busy or bool(out.runs)
            with engine.connect() as conn:
                scored = conn.execute(select(func.count()).select_from(listing_scores)).scalar()
                queued = conn.execute(
                    select(func.count())
                    .select_from(notifications)
                    .where(notifications.c.state == "queued")
                ).scalar()
            if t_scored is None and scored >= args.listings:
                t_scored = time.perf_counter() - t0
        if scored >= args.listings and queued == 0 and not busy:
            break
    t_total = time.perf_counter() - t0

    with engine.connect() as conn:
        # Per listing match, the email that carried it: one per listing, or a group email
        # when a subscriber got more than ten at once.
        lat = conn.execute(
            select(notifications.c.created_at, notifications.c.sent_at, listings.c.created_at)
            .select_from(alert_matches)
            .join(notifications, notifications.c.id == alert_matches.c.notification_id)
            .join(listings, listings.c.id == alert_matches.c.item_id)
            .where(alert_matches.c.item_kind == "listing")
        ).all()
        emails = conn.execute(
            select(func.count(func.distinct(alert_matches.c.notification_id))).where(
                alert_matches.c.item_kind == "listing"
            )
        ).scalar()
        matches = conn.execute(select(func.count()).select_from(alert_matches)).scalar()

    def seconds(a, b):
        a = a if a.tzinfo else a.replace(tzinfo=timezone.utc)
        b = b if b.tzinfo else b.replace(tzinfo=timezone.utc)
        return (a - b).total_seconds()

    to_row = sorted(seconds(n, lc) for n, _, lc in lat)
    to_sent = sorted(seconds(s, lc) for _, s, lc in lat if s)

    def pct(values, p):
        return (
            values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]
            if values
            else float("nan")
        )

    n_runs = sum(runs.values())
    print(
        f"listings: {args.listings:,} submitted ({result.summary()}) in {t_insert:.2f} s; "
        f"sensor interval {args.interval:g} s; started {inserted_at.isoformat(timespec='seconds')}"
    )
    print(
        f"(a) all scored and matched after {t_scored:.1f} s → "
        f"{args.listings / t_scored * 60:,.0f} listings/min "
        f"(target ≥ 10,000/min: {'met' if args.listings / t_scored * 60 >= 10_000 else 'MISSED'}); "
        f"outbox drained after {t_total:.1f} s"
    )
    print(
        f"(b) insert → notification row: p50 {statistics.median(to_row):.1f} s, p95 "
        f"{pct(to_row, 95):.1f} s "
        f"(target p95 ≤ 15 s: {'met' if pct(to_row, 95) <= 15 else 'MISSED'}); "
        f"insert → email sent: p50 {statistics.median(to_sent):.1f} s, p95 {pct(to_sent, 95):.1f} s"
    )
    print(
        f"(c) Dagster runs: {n_runs} ({runs['new_listings_sensor']} listing_alerts, "
        f"{runs['email_outbox_sensor']} deliver_email) for {args.listings:,} listings, "
        f"{matches:,} matches carried by {emails:,} emails → 1 run per "
        f"{args.listings / max(n_runs, 1):,.0f} listings"
    )
    print(
        f"database: {'PostgreSQL (dropped after the run)' if args.pg else 'SQLite'}; work folder: "
        f"{work}"
    )
    if args.pg:
        engine.dispose()
        with create_engine(args.pg, isolation_level="AUTOCOMMIT").connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{db_name}" WITH (FORCE)'))


if __name__ == "__main__":
    main()
