"""`folio tokens grant | balance | history`, `folio optout add | remove | list`,
`folio outreach list`,
`folio leads contacts import` and `folio tenants webhook`: paid outreach from the command
line."""

from __future__ import annotations

import json
import secrets
from datetime import date, datetime, time, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import click

from pipelines import clock
from pipelines.cli.accounts import tenants
from pipelines.cli.common import console, fail, migrated_engine, parse_date, table, tenant_or_fail
from pipelines.cli.reports import leads
from pipelines.outreach.listing import STATES as OUTREACH_STATES


def _when(value) -> str:
    return value.strftime("%Y-%m-%d %H:%M") if value else ""


class WholeNumber(click.ParamType):
    """A count in ASCII digits, from `low` to `high` (click's INT is `int()`, which takes
    "٧" as 7 and "1_000" as 1000)."""

    name = "integer"

    def __init__(self, low: int = 1, high: int = 2**31 - 1):
        self.low, self.high = low, high

    def convert(self, value, param, ctx):
        text = str(value)  # the default arrives as an int
        if not (text.isascii() and text.isdigit()) or not self.low <= int(text) <= self.high:
            self.fail(
                f"{value!r} is not a whole number from {self.low} to {self.high:,}", param, ctx
            )
        return int(text)


@click.group()
def tokens() -> None:
    """The tenant's token balance: grants, spending (reserve → capture | release), expiry."""


@tokens.command("grant")
@click.argument("tenant")
@click.argument("amount", type=WholeNumber())
@click.option(
    "--expires",
    callback=parse_date,
    help="Last day the tokens can be spent, YYYY-MM-DD (county time); default: never.",
)
@click.option(
    "--kind",
    type=click.Choice(["manual", "trial", "purchase"]),
    default="manual",
    show_default=True,
    help="What the grant is; trials get the expiring_trial email.",
)
@click.option("--reason", help="Why, shown in the history.")
def tokens_grant(tenant: str, amount: int, expires: date | None, kind: str, reason: str | None):
    """Give TENANT AMOUNT tokens."""
    from pipelines.billing.ledger import balance, grant
    from pipelines.settings import get_settings

    engine = migrated_engine()
    t = tenant_or_fail(engine, tenant)
    expires_at = None
    if expires is not None:
        zone = ZoneInfo(get_settings().timezone)
        if expires < clock.today():
            fail(f"--expires {expires} is in the past")
        # the end of that county day: the tokens can be spent all of it
        expires_at = datetime.combine(expires, time(23, 59, 59), tzinfo=zone).astimezone(
            timezone.utc
        )
    key = f"cli:{t['id']}:{secrets.token_hex(8)}"
    grant_id, _ = grant(
        engine,
        t["id"],
        amount,
        key,
        kind=kind,
        expires_at=expires_at,
        reason=reason or "granted by an operator",
    )
    b = balance(engine, t["id"])
    console.print(
        f"granted {amount:,} tokens to {tenant} (entry {grant_id}); "
        f"available {b.available:,}, reserved {b.reserved:,}"
    )


@tokens.command("balance")
@click.argument("tenant")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def tokens_balance(tenant: str, as_json: bool):
    """TENANT's available and reserved tokens, and what expires within the reminder window."""
    from datetime import timedelta

    from pipelines.billing.expiry import expiring_soon
    from pipelines.billing.ledger import balance
    from pipelines.settings import get_settings

    engine = migrated_engine()
    t = tenant_or_fail(engine, tenant)
    b = balance(engine, t["id"])
    days = get_settings().tokens_reminder_days
    soon = [s for s in expiring_soon(engine, timedelta(days=days)) if s.tenant_id == t["id"]]
    body = {
        **b.as_dict(),
        "expiring_soon": [
            {"tokens": s.left, "expires_at": s.expires_at.isoformat(), "kind": s.kind} for s in soon
        ],
    }
    if as_json:
        click.echo(json.dumps(body))
        return
    console.print(f"{tenant}: {b.available:,} available, {b.reserved:,} reserved")
    for s in soon:
        console.print(f"  {s.left:,} {s.kind} tokens expire {_when(s.expires_at)} UTC")


@tokens.command("history")
@click.argument("tenant")
@click.option(
    "--limit", type=WholeNumber(), default=50, show_default=True, help="Newest entries shown."
)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def tokens_history(tenant: str, limit: int, as_json: bool):
    """TENANT's ledger entries, newest first."""
    from pipelines.billing.ledger import history

    engine = migrated_engine()
    t = tenant_or_fail(engine, tenant)
    rows = history(engine, t["id"], limit)
    if as_json:
        click.echo(json.dumps(rows, default=str))
        return
    t = table("id", "when (UTC)", "entry", "tokens", "for", "why")
    for r in rows:
        what = r["channel"] or r["grant_kind"] or ""
        if r["notification_id"]:
            what += f" #{r['notification_id']}"
        t.add_row(
            str(r["id"]),
            _when(r["created_at"]),
            r["entry"],
            f"{r['tokens']:,}",
            what,
            (r["reason"] or "")[:40],
        )
    console.print(t)


@tokens.command("purchases")
@click.option("--refused", is_flag=True, help="Only the events that could not be used.")
@click.option(
    "--limit", type=WholeNumber(), default=50, show_default=True, help="Newest events shown."
)
def tokens_purchases(refused: bool, limit: int):
    """Stripe's events, newest first, and what became of each: granted, refused (why; nothing
    was granted: grant by hand with `folio tokens grant` once the cause is known) or ignored."""
    from sqlalchemy import select

    from pipelines.db.schema import tenants
    from pipelines.db.schema.billing import stripe_events

    e = stripe_events.c
    q = (
        select(e.received_at, e.event_id, e.outcome, tenants.c.slug, e.tokens, e.reason)
        .select_from(stripe_events.outerjoin(tenants, tenants.c.id == e.tenant_id))
        .order_by(e.id.desc())
        .limit(limit)
    )
    if refused:
        q = q.where(e.outcome == "refused")
    with migrated_engine().connect() as conn:
        rows = conn.execute(q).all()
    t = table("when (UTC)", "event", "outcome", "tenant", "tokens", "why")
    for r in rows:
        t.add_row(
            _when(r.received_at),
            r.event_id or "(no usable id)",
            r.outcome,
            r.slug or "",
            f"{r.tokens:,}" if r.tokens else "",
            r.reason or "",
        )
    console.print(t)


@click.group()
def optout() -> None:
    """Numbers that must never get an SMS or call (STOP replies land here too)."""


def _phone(raw: str) -> str:
    from pipelines.notify.phones import BadPhone, normalise

    try:
        return normalise(raw)
    except BadPhone as exc:
        fail(str(exc))


@optout.command("add")
@click.argument("phone")
def optout_add(phone: str):
    """Put PHONE (any usual spelling) on the opt-out list."""
    from pipelines.notify.compliance import opt_out

    number = _phone(phone)
    with migrated_engine().begin() as conn:
        added = opt_out(conn, number, "operator")
    console.print(f"{number} {'opted out' if added else 'was already opted out'}")


@optout.command("remove")
@click.argument("phone")
def optout_remove(phone: str):
    """Take PHONE off the opt-out list (only with the person's consent)."""
    from pipelines.notify.compliance import opt_in

    number = _phone(phone)
    with migrated_engine().begin() as conn:
        removed = opt_in(conn, number)
    console.print(f"{number} {'removed' if removed else 'was not on the list'}")


@optout.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def optout_list(as_json: bool):
    """Every opted-out number, with how and when."""
    from sqlalchemy import select

    from pipelines.db.schema import opt_outs

    with migrated_engine().connect() as conn:
        rows = conn.execute(select(opt_outs).order_by(opt_outs.c.created_at)).all()
    if as_json:
        click.echo(json.dumps([dict(r._mapping) for r in rows], default=str))
        return
    t = table("phone", "source", "since (UTC)")
    for r in rows:
        t.add_row(r.phone, r.source, _when(r.created_at))
    console.print(t)


@click.group()
def outreach() -> None:
    """SMS, calls and webhooks sent on a tenant's behalf, and what was refused."""


@outreach.command("list")
@click.option("--tenant", "slug", required=True, help="Whose outreach.")
@click.option(
    "--state",
    type=click.Choice(OUTREACH_STATES),
    help="Only these (refused: stopped by the compliance screen, with the rule).",
)
@click.option(
    "--limit",
    type=WholeNumber(1, 500),
    default=100,
    show_default=True,
    help="At most this many, newest first.",
)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def outreach_list(slug: str, state: str | None, limit: int, as_json: bool):
    """The tenant's outreach, newest first: requests and refusals (no tokens, an opt-out,
    quiet hours, the daily cap, an unverified phone)."""
    from pipelines.outreach.listing import list_outreach

    engine = migrated_engine()
    rows = list_outreach(engine, tenant_or_fail(engine, slug)["id"], state, limit)
    if as_json:
        click.echo(json.dumps(rows, default=str))
        return
    t = table("at (UTC)", "kind", "id", "state", "channel", "to", "why")
    for r in rows:
        why = r.get("rule") or ""
        if r.get("detail"):
            why = f"{why}: {r['detail']}" if why else r["detail"]
        t.add_row(
            _when(r["at"]), r["kind"], str(r["id"]), r["state"], r["channel"], r["to"], why
        )  # fmt: skip
    console.print(t)


@leads.group("contacts")
def contacts() -> None:
    """Phones attached to leads (for SMS and calls on a subscriber's behalf)."""


@contacts.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--tenant", "slug", required=True, help="Whose contacts.")
def contacts_import(file: Path, slug: str):
    """Attach phones from a CSV with the header folio,name,phone to the tenant's leads."""
    from pipelines.outreach.contacts import import_contacts

    engine = migrated_engine()
    t = tenant_or_fail(engine, slug)
    try:
        result = import_contacts(engine, t["id"], file)
    except ValueError as exc:
        fail(str(exc))
    console.print(
        f"attached {result.attached} phone(s) to leads; {len(result.errors)} row(s) refused"
    )
    for error in result.errors:
        console.print(f"  {file.name} {error}")


@tenants.command("webhook")
@click.argument("slug")
@click.option(
    "--url",
    required=True,
    help="Where webhooks go: the tenant's https endpoint, or a Slack incoming-webhook URL.",
)
def tenants_webhook(slug: str, url: str) -> None:
    """Send SLUG's webhook alerts to URL, signed with a new secret (printed once)."""
    from sqlalchemy import update

    from pipelines.db.schema import tenants

    if not url.startswith(("https://", "http://")):
        fail(f"{url!r} is not an http(s) URL")
    engine = migrated_engine()
    t = tenant_or_fail(engine, slug)
    secret = secrets.token_hex(32)
    with engine.begin() as conn:
        conn.execute(
            update(tenants)
            .where(tenants.c.id == t["id"])
            .values(webhook_url=url, webhook_secret=secret)
        )
    console.print(f"webhooks for {slug} go to {url}")
    console.print(f"signing secret (shown once; X-Folio-Signature is HMAC-SHA256): {secret}")
