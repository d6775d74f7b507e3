"""`folio demo`: the whole product on the embedded defaults, from generated county files to
the emails in the file outbox."""

from __future__ import annotations

import json
import os
from pathlib import Path

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from pipelines.cli.alerts import run_ticks
from pipelines.cli.common import console, fail, migrated_engine
from pipelines.cli.demo_steps import (
    DEMO_SUBSCRIBERS,
    DEMO_TENANT,
    demo_digest_and_engagement,
    demo_outreach,
    demo_reports,
)
from pipelines.cli.ingest import print_summary, write_sample_files


@click.command()
@click.option("--days", default=15, show_default=True, help="Business days of sample files.")
@click.option("--docs-per-day", default=300, show_default=True, help="Recorded documents per day.")
def demo(days: int, docs_per_day: int) -> None:
    """Generate sample county files and ingest them on the embedded defaults: the daily partitions
    one run at a time, then a week and a month of civil files, then the nightly lead scoring;
    then a demo tenant with four subscribers submits 300 listings; `folio tick` scores,
    matches and emails listings and leads of every type (to the file outbox), the daily
    digest goes out, and a lead page is opened from an email's link, which moves the lead's
    score at the next scoring."""
    from pipelines.control.instance import get_instance
    from pipelines.control.runner import run_job, run_partitions
    from pipelines.settings import get_settings

    settings = get_settings()
    source = Path(settings.resolved_source_url)
    written = write_sample_files(source, days, None, docs_per_day, 7)
    console.print(
        f"sample files: {len(written['daily'])} business days, weeks {written['weekly']}, "
        f"months {written['monthly']} under {source}"
    )
    migrated_engine()
    instance = get_instance()
    runs = [("daily", [k]) for k in written["daily"]]
    runs += [("weekly", [k]) for k in written["weekly"]] + [
        ("monthly", [k]) for k in written["monthly"]
    ]
    columns = [
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    ]
    # A live display starts and stops on one Console (the `console` proxy makes one per use).
    with Progress(*columns, console=Console()) as progress:
        task = progress.add_task("ingesting", total=len(runs) + 1)
        for cadence, keys in runs:
            progress.update(task, description=f"ingesting {cadence} {keys[0]}")
            outcome = run_partitions(instance, cadence, keys)
            if not outcome.success:
                fail(f"run {outcome.run_id} for {cadence} {keys[0]} failed: {outcome.error}")
            progress.advance(task)
        progress.update(task, description="scoring leads")
        outcome = run_job(instance, "lead_scoring")
        if not outcome.success:
            fail(f"lead scoring run {outcome.run_id} failed: {outcome.error}")
        progress.advance(task)
    print_summary()
    engine = demo_alerts()
    demo_digest_and_engagement(engine, written["daily"][-1])
    demo_reports(engine)
    demo_outreach(engine)
    demo_api_key(engine)
    console.print(
        f"\ndatabase: {settings.resolved_database_url}\n"
        f"see lineage and runs: DAGSTER_HOME={os.environ['DAGSTER_HOME']} .venv/bin/dagster dev"
    )


def demo_api_key(engine) -> None:
    """A key for the demo tenant, and the line that tries the leads API with it."""
    from pipelines.accounts.api_keys import issue_key
    from pipelines.accounts.tenants import get_tenant
    from pipelines.cli.demo_steps import DEMO_TENANT

    tenant = get_tenant(engine, DEMO_TENANT)
    with engine.begin() as conn:
        _, key = issue_key(conn, tenant["id"], "demo")
    console.print(
        f"\nAPI key of {DEMO_TENANT} (shown once; `folio tenants key list {DEMO_TENANT}`): {key}\n"
        "try the leads API: .venv/bin/folio serve, then\n"
        f"  curl -H 'X-API-Key: {key}' 'http://127.0.0.1:8000/leads?limit=5'",
        soft_wrap=True,
    )


def demo_alerts(listing_count: int = 300) -> None:
    """The demo's second half: a tenant with two subscribers, a few hundred listings, and the
    sensor-driven path (ticked in-process) through scoring, matching and the email outbox."""
    from pipelines.accounts.criteria import Criteria
    from pipelines.accounts.subscribers import find_subscriber, set_criteria
    from pipelines.accounts.tenants import SetupError, add_tenant, get_tenant
    from pipelines.alerts.subscriptions import add_subscriber
    from pipelines.alerts.summary import tenant_alert_summary
    from pipelines.listings.readers import RawRecord
    from pipelines.listings.samples import sample_listings
    from pipelines.listings.store import ingest_records
    from pipelines.notify.email import email_outbox_dir

    engine = migrated_engine()
    try:
        add_tenant(engine, DEMO_TENANT, "Demo Realty")
    except SetupError:
        pass  # a second demo reuses it
    tenant = get_tenant(engine, DEMO_TENANT)
    for email, name, values in DEMO_SUBSCRIBERS:
        sub_id = find_subscriber(engine, tenant["id"], email) or add_subscriber(
            engine, tenant["id"], email, name
        )
        set_criteria(engine, tenant["id"], sub_id, Criteria.model_validate(values))
    rows = sample_listings(listing_count)
    records = [RawRecord(n, json.dumps(r), r) for n, r in enumerate(rows, start=1)]
    result = ingest_records(engine, tenant, records, "demo", "demo listings")
    with console.status("scoring, matching and sending alerts (folio tick --until-idle)"):
        runs = {n: len(r) for n, r in run_ticks(True).runs.items() if r}
    summary = tenant_alert_summary(engine, tenant["id"])
    table = Table(title=f"Alerts for tenant {DEMO_TENANT}", show_header=False)
    table.add_row("listings submitted", f"{len(rows)} ({result.summary()})")
    table.add_row("listings scored", str(summary["listings_scored"]))
    table.add_row(
        "matches: listings / county leads",
        f"{summary['listing_matches']} / {summary['lead_matches']}",
    )
    for lead_type, n in summary["lead_matches_by_type"].items():
        table.add_row(f"  {lead_type} (at once / for the digest)", n)
    for state, n in summary["messages_by_state"].items():
        table.add_row(f"emails {state}", str(n))
    for template, n in summary["messages_by_template"].items():
        table.add_row(f"  {template}", str(n))
    table.add_row(
        "Dagster runs", ", ".join(f"{k.replace('_sensor', '')} {v}" for k, v in runs.items())
    )
    console.print(table)
    console.print(f"email outbox (.eml files, open in any mail client): {email_outbox_dir()}")
    return engine
