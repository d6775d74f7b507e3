"""`folio` commands for the alerting half: tenants, subscribers, criteria, listings, the
outbox, processing pending alerts in-process, and the HTTP intake (`folio serve`)."""

from __future__ import annotations

import json
from pathlib import Path

import click
from rich.table import Table

from pipelines.cli_common import console
from pipelines.cli_common import fail as _fail
from pipelines.cli_common import migrated_engine as _engine


def _tenant(engine, slug: str) -> dict:
    from pipelines.tenants import SetupError, get_tenant

    try:
        return get_tenant(engine, slug)
    except SetupError as exc:
        _fail(str(exc))


# --- tenants, subscribers, criteria -----------------------------------------------------------

@click.group()
def tenants() -> None:
    """Tenants (customers): each owns its listings, subscribers and API key."""


@tenants.command("add")
@click.argument("slug")
@click.option("--name", default="", help="Display name (default: the slug).")
def tenants_add(slug: str, name: str) -> None:
    """Create a tenant and print its API key (shown once, stored only as a hash)."""
    from pipelines.tenants import SetupError, add_tenant

    try:
        tenant_id, key = add_tenant(_engine(), slug, name)
    except SetupError as exc:
        _fail(str(exc))
    console.print(f"tenant {slug} (id {tenant_id})\nAPI key (X-API-Key; shown once): {key}")


@tenants.command("list")
def tenants_list() -> None:
    from sqlalchemy import select

    from pipelines.store.tables import tenants as t

    with _engine().connect() as conn:
        rows = conn.execute(select(t.c.id, t.c.slug, t.c.name, t.c.created_at).order_by(t.c.id)).all()
    table = Table("id", "slug", "name", "created")
    for r in rows:
        table.add_row(str(r.id), r.slug, r.name, r.created_at.isoformat(timespec="seconds") if r.created_at else "")
    console.print(table)


@click.group()
def subscribers() -> None:
    """A tenant's subscribers (who gets alerts)."""


@subscribers.command("add")
@click.option("--tenant", "slug", required=True)
@click.option("--email", required=True)
@click.option("--name")
@click.option("--phone")
@click.option("--time-zone", default="America/New_York", show_default=True)
def subscribers_add(slug: str, email: str, name: str | None, phone: str | None, time_zone: str) -> None:
    """Add a subscriber (default criteria: min score 70, email) and queue a welcome email."""
    from pipelines.tenants import SetupError, add_subscriber

    engine = _engine()
    try:
        sub_id = add_subscriber(engine, _tenant(engine, slug)["id"], email, name, phone, time_zone)
    except SetupError as exc:
        _fail(str(exc))
    console.print(f"subscriber {sub_id} ({email}) added to {slug}; welcome email queued")


@subscribers.command("list")
@click.option("--tenant", "slug", required=True)
def subscribers_list(slug: str) -> None:
    from pipelines.tenants import list_subscribers

    engine = _engine()
    table = Table("id", "email", "name", "min score", "cities", "zips", "listing types", "lead types", "channels",
                  "digest only")
    for s in list_subscribers(engine, _tenant(engine, slug)["id"]):
        table.add_row(str(s["id"]), s["email"], s["name"] or "", str(s["min_score"]), s["cities"] or "any",
                      s["zip_codes"] or "any", s["listing_types"] or "any", s["lead_types"] or "none",
                      s["channels"], "yes" if s["digest_only"] else "no")
    console.print(table)


@click.group()
def criteria() -> None:
    """Alert criteria per subscriber."""


@criteria.command("set")
@click.option("--tenant", "slug", required=True)
@click.option("--subscriber", "subscriber_id", required=True, type=int)
@click.option("--file", "file", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="A JSON object with the criteria (instead of the options below).")
@click.option("--min-score", type=int)
@click.option("--max-price", type=float)
@click.option("--min-roi", type=float)
@click.option("--city", "cities", multiple=True)
@click.option("--zip", "zip_codes", multiple=True)
@click.option("--listing-type", "listing_types", multiple=True)
@click.option("--lead-type", "lead_types", multiple=True)
@click.option("--channel", "channels", multiple=True)
@click.option("--digest-only/--immediate", default=None)
def criteria_set(slug, subscriber_id, file, **options) -> None:
    """Replace a subscriber's criteria (options not given take their defaults)."""
    from pydantic import ValidationError

    from pipelines.listings.model import errors_text
    from pipelines.tenants import Criteria, SetupError, set_criteria

    if file:
        try:
            values = json.loads(file.read_text())
        except json.JSONDecodeError as exc:
            _fail(f"{file}: invalid JSON at line {exc.lineno}: {exc.msg}")
    else:
        values = {k: (list(v) if isinstance(v, tuple) else v) for k, v in options.items()
                  if v is not None and v != ()}
    try:
        parsed = Criteria.model_validate(values)
    except ValidationError as exc:
        _fail(f"criteria refused: {errors_text(exc)}")
    engine = _engine()
    try:
        set_criteria(engine, _tenant(engine, slug)["id"], subscriber_id, parsed)
    except SetupError as exc:
        _fail(str(exc))
    console.print(f"subscriber {subscriber_id}: {parsed.model_dump_json(exclude_none=True)}")


# --- listings -------------------------------------------------------------------------------

@click.group()
def listings() -> None:
    """A tenant's listings: add from a file, show one."""


@listings.command("add")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--tenant", "slug", required=True)
def listings_add(file: Path, slug: str) -> None:
    """Validate and store listings from JSON, JSON Lines, CSV or XLSX. Bad records are
    quarantined with their line and reason; the good ones go in. Scoring and alerts follow
    from the new-listings sensor (or `folio alerts run`)."""
    import hashlib

    from pipelines.listings.readers import FileFormatError, read_records
    from pipelines.listings.store import ingest_records

    engine = _engine()
    tenant = _tenant(engine, slug)
    data = file.read_bytes()
    try:
        records = read_records(file, data)
    except FileFormatError as exc:
        _fail(str(exc))
    result = ingest_records(engine, tenant, records, "cli", str(file), hashlib.sha256(data).hexdigest())
    console.print(f"{file.name}: {result.summary()}")
    for line_no, reason in result.rejects[:20]:
        console.print(f"  line {line_no}: {reason}")
    if len(result.rejects) > 20:
        console.print(f"  … {len(result.rejects) - 20} more in listing_quarantine")


@listings.command("quarantine")
@click.option("--tenant", "slug", required=True)
@click.option("--limit", default=50, show_default=True)
def listings_quarantine(slug: str, limit: int) -> None:
    """Refused listing records: where they came from, the line, why, and the raw record."""
    from sqlalchemy import select

    from pipelines.store.tables import listing_quarantine as q

    engine = _engine()
    tenant = _tenant(engine, slug)
    with engine.connect() as conn:
        rows = conn.execute(select(q.c.source, q.c.source_file, q.c.line_no, q.c.reason, q.c.raw)
                            .where(q.c.tenant_id == tenant["id"]).order_by(q.c.id.desc()).limit(limit)).all()
    table = Table("source", "file", "line", "reason", "record")
    for r in rows:
        name = Path(r.source_file).name if r.source_file else ""  # the name: paths are long
        table.add_row(r.source, name, str(r.line_no or ""), r.reason, r.raw[:60])
    console.print(table)


@listings.command("show")
@click.argument("listing_id", type=int)
@click.option("--tenant", "slug", required=True)
def listings_show(listing_id: int, slug: str) -> None:
    """A listing with its score, breakdown and alerts (same as GET /listings/{id})."""
    from fastapi import HTTPException

    from pipelines.api import get_listing

    engine = _engine()
    try:
        body = get_listing(listing_id, _tenant(engine, slug))
    except HTTPException as exc:
        _fail(str(exc.detail))
    console.print_json(json.dumps(body))


# --- outbox and alert processing -----------------------------------------------------------

@click.group()
def outbox() -> None:
    """The notification outbox: list messages, settle the ones in `unknown`."""


@outbox.command("list")
@click.option("--state", type=click.Choice(["queued", "sending", "sent", "failed", "unknown"]))
@click.option("--limit", default=50, show_default=True)
def outbox_list(state: str | None, limit: int) -> None:
    from sqlalchemy import select

    from pipelines.store.tables import notifications as n

    q = select(n.c.id, n.c.tenant_id, n.c.subscriber_id, n.c.item_kind, n.c.item_id, n.c.channel, n.c.state,
               n.c.attempts, n.c.last_error).order_by(n.c.id.desc()).limit(limit)
    if state:
        q = q.where(n.c.state == state)
    table = Table("id", "tenant", "subscriber", "item", "channel", "state", "attempts", "last error")
    with _engine().connect() as conn:
        for r in conn.execute(q):
            table.add_row(str(r.id), str(r.tenant_id), str(r.subscriber_id), f"{r.item_kind} {r.item_id}", r.channel,
                          r.state, str(r.attempts), (r.last_error or "")[:60])
    console.print(table)


@outbox.command("resolve")
@click.argument("notification_id", type=int)
@click.option("--as", "outcome", required=True, type=click.Choice(["sent", "failed", "requeue"]),
              help="sent/failed: what the provider says happened; requeue: send again (you checked it did not go).")
def outbox_resolve(notification_id: int, outcome: str) -> None:
    """Settle a message in `unknown` once you know what happened (never done automatically)."""
    from datetime import datetime, timezone

    from sqlalchemy import update

    from pipelines.store.tables import notifications as n

    state = "queued" if outcome == "requeue" else outcome
    with _engine().begin() as conn:
        done = conn.execute(update(n).where(n.c.id == notification_id, n.c.state == "unknown")
                            .values(state=state, updated_at=datetime.now(timezone.utc),
                                    last_error=f"resolved by operator as {outcome}")).rowcount
    if not done:
        _fail(f"notification {notification_id} is not in state unknown")
    console.print(f"notification {notification_id}: unknown → {state}")


@click.group()
def alerts() -> None:
    """Alert processing."""


ALERT_SENSORS = ("new_listings_sensor", "hot_leads_sensor", "email_outbox_sensor")


def process_alerts(max_rounds: int = 50) -> dict[str, int]:
    """Tick the alert sensors in-process until none has work; returns runs per sensor.
    What the daemon does every few seconds, for a machine without `dagster dev`."""
    from pipelines.instance import get_instance
    from pipelines.runner import tick_sensor

    instance = get_instance()
    cursors: dict[str, str | None] = dict.fromkeys(ALERT_SENSORS)
    runs = dict.fromkeys(ALERT_SENSORS, 0)
    for _ in range(max_rounds):
        busy = False
        for name in ALERT_SENSORS:
            outcome = tick_sensor(instance, name, cursors[name])
            cursors[name] = outcome.cursor
            for run in outcome.runs:
                if not run.success:
                    _fail(f"{name} run {run.run_id} failed: {run.error}")
            runs[name] += len(outcome.runs)
            busy = busy or bool(outcome.runs)
        if not busy:
            break
    return runs


@alerts.command("run")
def alerts_run() -> None:
    """Score, match and deliver everything pending now, in this process."""
    _engine()
    runs = process_alerts()
    console.print(", ".join(f"{name}: {n} run(s)" for name, n in runs.items()))


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
def serve(host: str, port: int) -> None:
    """The HTTP intake: POST /listings, GET /listings/{id}, GET /health."""
    import uvicorn

    _engine()
    uvicorn.run("pipelines.api:app", host=host, port=port, log_level="info")


COMMANDS = [tenants, subscribers, criteria, listings, outbox, alerts, serve]


DEMO_TENANT = "demo-realty"
DEMO_SUBSCRIBERS = [
    ("investor@demo-realty.example", "Ivy Investor",
     {"min_score": 60, "cities": ["MIAMI", "HIALEAH"], "listing_types": ["sale", "auction", "foreclosure"]}),
    ("agent@demo-realty.example", "Alex Agent", {"min_score": 70, "lead_types": ["probate", "foreclosure"]}),
]


def demo_alerts(listing_count: int = 300) -> None:
    """The demo's second half: a tenant with two subscribers, a few hundred listings, and the
    sensor-driven path (ticked in-process) through scoring, matching and the email outbox."""
    from sqlalchemy import func, select

    from pipelines.listings.readers import RawRecord
    from pipelines.listings.samples import sample_listings
    from pipelines.listings.store import ingest_records
    from pipelines.notify.email import email_outbox_dir
    from pipelines.store.tables import alert_matches, listing_scores, notifications, subscribers
    from pipelines.tenants import (
        Criteria,
        SetupError,
        add_subscriber,
        add_tenant,
        get_tenant,
        set_criteria,
    )

    engine = _engine()
    try:
        add_tenant(engine, DEMO_TENANT, "Demo Realty")
    except SetupError:
        pass  # a second demo reuses it
    tenant = get_tenant(engine, DEMO_TENANT)
    for email, name, values in DEMO_SUBSCRIBERS:
        with engine.connect() as conn:
            sub_id = conn.execute(select(subscribers.c.id).where(subscribers.c.tenant_id == tenant["id"],
                                                                 subscribers.c.email == email)).scalar()
        if sub_id is None:
            sub_id = add_subscriber(engine, tenant["id"], email, name)
        set_criteria(engine, tenant["id"], sub_id, Criteria.model_validate(values))
    rows = sample_listings(listing_count)
    records = [RawRecord(n, json.dumps(r), r) for n, r in enumerate(rows, start=1)]
    result = ingest_records(engine, tenant, records, "demo", "demo listings")
    with console.status("scoring, matching and sending alerts (sensor ticks in-process)"):
        runs = process_alerts()
    with engine.connect() as conn:
        def count(table, *where):
            return conn.execute(select(func.count()).select_from(table).where(*where)).scalar()

        tid = listing_scores.c.tenant_id == tenant["id"]
        table = Table(title=f"Alerts for tenant {DEMO_TENANT}", show_header=False)
        table.add_row("listings submitted", f"{len(rows)} ({result.summary()})")
        table.add_row("listings scored", str(count(listing_scores, tid)))
        table.add_row("matches: listings / hot county leads",
                      f"{count(alert_matches, alert_matches.c.tenant_id == tenant['id'], alert_matches.c.item_kind == 'listing')}"
                      f" / {count(alert_matches, alert_matches.c.tenant_id == tenant['id'], alert_matches.c.item_kind == 'lead')}")
        for state, n in conn.execute(select(notifications.c.state, func.count())
                                     .where(notifications.c.tenant_id == tenant["id"])
                                     .group_by(notifications.c.state)).all():
            table.add_row(f"emails {state}", str(n))
        table.add_row("Dagster runs", ", ".join(f"{k.replace('_sensor', '')} {v}" for k, v in runs.items()))
    console.print(table)
    console.print(f"email outbox (.eml files, open in any mail client): {email_outbox_dir()}")
