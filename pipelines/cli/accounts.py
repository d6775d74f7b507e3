"""`folio tenants | subscribers | criteria`: the set-up a paying customer does once."""

from __future__ import annotations

import json
from pathlib import Path

import click

from pipelines.accounts.criteria import DELIVERIES
from pipelines.cli.common import (
    console,
    emit_json,
    fail,
    json_option,
    migrated_engine,
    table,
    tenant_or_fail,
)
from pipelines.kinds import LeadType, ListingType, values


@click.group()
def tenants() -> None:
    """Tenants (customers): each owns its listings, subscribers and API keys."""


@tenants.command("add")
@click.argument("slug")
@click.option("--name", default="", help="Display name (default: the slug).")
def tenants_add(slug: str, name: str) -> None:
    """Create a tenant and print its API key (shown once, stored only as a hash)."""
    from pipelines.accounts.tenants import SetupError, add_tenant

    try:
        tenant_id, key = add_tenant(migrated_engine(), slug, name)
    except SetupError as exc:
        fail(str(exc))
    console.print(f"tenant {slug} (id {tenant_id})\nAPI key (X-API-Key; shown once): {key}")


@tenants.command("list")
@json_option
def tenants_list(as_json: bool) -> None:
    """Every tenant with its id and creation time."""
    from pipelines.accounts.tenants import list_tenants

    rows = list_tenants(migrated_engine())
    if as_json:
        return emit_json(rows)
    t = table("id", "slug", "name", "created")
    for r in rows:
        created = r["created_at"].isoformat(timespec="seconds") if r["created_at"] else ""
        t.add_row(str(r["id"]), r["slug"], r["name"], created)
    console.print(t)


@tenants.group("key")
def tenant_keys() -> None:
    """A tenant's API keys: issue one per program or person, list them, revoke one."""


def _tenant_id(slug: str) -> int:
    from pipelines.accounts.tenants import SetupError, get_tenant

    try:
        return get_tenant(migrated_engine(), slug)["id"]
    except SetupError as exc:
        fail(str(exc))


@tenant_keys.command("issue")
@click.argument("slug")
@click.option("--label", default="", help="What the key is for (shown in the list).")
def tenant_key_issue(slug: str, label: str) -> None:
    """Issue a new API key for the tenant and print it (shown once, stored only as a hash)."""
    from pipelines.accounts.api_keys import issue_key

    tenant_id = _tenant_id(slug)
    with migrated_engine().begin() as conn:
        key_id, key = issue_key(conn, tenant_id, label)
    console.print(f"key {key_id} for {slug}\nAPI key (X-API-Key; shown once): {key}")


@tenant_keys.command("list")
@click.argument("slug")
@json_option
def tenant_key_list(slug: str, as_json: bool) -> None:
    """The tenant's keys: id, first characters, label, created, last used, revoked."""
    from pipelines.accounts.api_keys import list_keys

    rows = list_keys(migrated_engine(), _tenant_id(slug))
    if as_json:
        return emit_json(rows)

    def at(value) -> str:  # UTC, to the minute: fits 80 columns
        return value.strftime("%Y-%m-%d %H:%M") if value else ""

    t = table("id", "key", "label", "created (UTC)", "last used", "revoked")
    for r in rows:
        shown = f"{r['prefix']}…" if r["prefix"] else "(older key)"
        t.add_row(
            str(r["id"]), shown, r["label"], at(r["created_at"]), at(r["last_used_at"]),
            at(r["revoked_at"]),
        )  # fmt: skip
    console.print(t)


@tenant_keys.command("revoke")
@click.argument("slug")
@click.argument("key_id", type=int)
def tenant_key_revoke(slug: str, key_id: int) -> None:
    """Revoke one of the tenant's keys: requests with it are refused (401) at once."""
    from pipelines.accounts.api_keys import UnknownKey, revoke_key

    try:
        revoke_key(migrated_engine(), _tenant_id(slug), key_id)
    except UnknownKey as exc:
        fail(str(exc))
    console.print(f"key {key_id} of {slug} revoked")


@click.group()
def subscribers() -> None:
    """A tenant's subscribers (who gets alerts)."""


@subscribers.command("add")
@click.option("--tenant", "slug", required=True, help="The tenant's slug.")
@click.option("--email", required=True, help="Where alerts go.")
@click.option("--name", help="Display name.")
@click.option("--phone", help="Phone number, E.164 (e.g. +13055550100).")
@click.option("--time-zone", default="America/New_York", show_default=True, help="IANA time zone.")
def subscribers_add(
    slug: str, email: str, name: str | None, phone: str | None, time_zone: str
) -> None:
    """Add a subscriber (default criteria: min score 70, email) and queue a welcome email."""
    from pipelines.accounts.tenants import SetupError
    from pipelines.alerts.subscriptions import add_subscriber

    engine = migrated_engine()
    try:
        sub_id = add_subscriber(
            engine, tenant_or_fail(engine, slug)["id"], email, name, phone, time_zone
        )
    except SetupError as exc:
        fail(str(exc))
    console.print(f"subscriber {sub_id} ({email}) added to {slug}; welcome email queued")


@subscribers.command("list")
@click.option("--tenant", "slug", required=True, help="The tenant's slug.")
@json_option
def subscribers_list(slug: str, as_json: bool) -> None:
    """A tenant's subscribers with their criteria."""
    from pipelines.accounts.subscribers import list_subscribers

    engine = migrated_engine()
    if as_json:
        return emit_json(list_subscribers(engine, tenant_or_fail(engine, slug)["id"]))
    t = table(
        "id",
        "email",
        "name",
        "min score",
        "cities",
        "zips",
        "listing types",
        "lead types",
        "channels",
        "delivery",
    )
    for s in list_subscribers(engine, tenant_or_fail(engine, slug)["id"]):
        t.add_row(
            str(s["id"]),
            s["email"],
            s["name"] or "",
            str(s["min_score"]),
            s["cities"] or "any",
            s["zip_codes"] or "any",
            s["listing_types"] or "any",
            s["lead_types"] or "none",
            s["channels"],
            _delivery(s),
        )
    console.print(t)


def _delivery(row: dict) -> str:
    """`digest`, or `digest + hot ≥ 90` when hot matches go out at once anyway."""
    from pipelines.accounts.criteria import Criteria

    c = Criteria.from_row(row)
    if c.delivery != "instant" and c.hot_at_once:
        return f"{c.delivery} + hot ≥ {c.hot_threshold()}"
    return c.delivery


@subscribers.command("set-phone")
@click.option("--tenant", "slug", required=True, help="The tenant's slug.")
@click.option("--subscriber", "subscriber_id", required=True, type=int, help="The subscriber's id.")
@click.option("--phone", required=True, help="The new number, E.164 (e.g. +13055550100).")
def subscribers_set_phone(slug: str, subscriber_id: int, phone: str) -> None:
    """Change a subscriber's phone. A new number is unverified until its code is checked
    (verify-phone); SMS alerts wait for that."""
    from pipelines.outreach.verification import VerificationError, set_phone

    engine = migrated_engine()
    try:
        stored = set_phone(engine, tenant_or_fail(engine, slug)["id"], subscriber_id, phone)
    except VerificationError as exc:
        fail(str(exc))
    console.print(
        f"subscriber {subscriber_id}: phone {stored}, unverified until checked "
        f"(folio subscribers verify-phone --tenant {slug} --subscriber {subscriber_id})"
    )


@subscribers.command("verify-phone")
@click.option("--tenant", "slug", required=True, help="The tenant's slug.")
@click.option("--subscriber", "subscriber_id", required=True, type=int, help="The subscriber's id.")
# Text, not a click int: the code is exactly six ASCII digits (a leading 0 included).
@click.option("--code", help="The six digits the SMS gave (without it: send a new code).")
def subscribers_verify_phone(slug: str, subscriber_id: int, code: str | None) -> None:
    """Verify a subscriber's phone: without --code, text a new code to it (a paid SMS, sent
    by the outbox); with --code, check the code the subscriber read out. Five tries, ten
    minutes; then start again."""
    from pipelines.clock import show
    from pipelines.notify.verify_codes import DIGITS
    from pipelines.outreach.verification import VerificationError, check, start

    engine = migrated_engine()
    tenant_id = tenant_or_fail(engine, slug)["id"]
    if code is None:
        try:
            started = start(engine, tenant_id, subscriber_id)
        except VerificationError as exc:
            fail(str(exc))
        view = started.view()
        console.print(
            f"verification {started.verification_id}: a code is queued to {view['to']} "
            f"({started.tokens_reserved} tokens reserved); it expires at "
            f"{show(started.expires_at)}. Check it with --code."
        )
        return
    code = code.strip()
    if len(code) != DIGITS or not (code.isascii() and code.isdigit()):
        fail(f"--code: the {DIGITS} digits 0-9 the SMS gave")
    try:
        checked = check(engine, tenant_id, subscriber_id, code)
    except VerificationError as exc:
        fail(str(exc))
    if not checked.verified:
        left = checked.attempts_left
        fail(f"wrong code: {left} attempts left" if left else "wrong code: start again")
    console.print(
        f"subscriber {subscriber_id}: phone verified at {show(checked.phone_verified_at)}; "
        "SMS alerts may go to it"
    )


@click.group()
def criteria() -> None:
    """Alert criteria per subscriber."""


@criteria.command("set")
@click.option("--tenant", "slug", required=True, help="The tenant's slug.")
@click.option("--subscriber", "subscriber_id", required=True, type=int, help="The subscriber's id.")
@click.option(
    "--file",
    "file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="A JSON object with the criteria (instead of the options below).",
)
# Numbers stay text here: click's int()/float() would read `５０` as 50; the model refuses it.
@click.option("--min-score", help="Lowest score that alerts (0–100; default 70).")
@click.option("--max-price", help="Highest listing price.")
@click.option("--min-roi", help="Lowest ROI, percent.")
@click.option("--city", "cities", multiple=True, help="A city (repeat for several; none: any).")
@click.option("--zip", "zip_codes", multiple=True, help="A 5-digit zip code (repeat; none: any).")
@click.option(
    "--listing-type",
    "listing_types",
    multiple=True,
    help=f"{', '.join(values(ListingType))}.",
)
@click.option(
    "--lead-type",
    "lead_types",
    multiple=True,
    help=f"County leads to hear about: {', '.join(values(LeadType))}.",
)
@click.option(
    "--channel", "channels", multiple=True, help="email, sms, voice or webhook (default email)."
)
@click.option(
    "--delivery",
    type=click.Choice(DELIVERIES),
    help="Alerts at once (default), in the daily digest, in the weekly report only, or none.",
)
@click.option(
    "--digest-only/--immediate",
    default=None,
    help="The same as --delivery digest / --delivery instant.",
)
@click.option(
    "--hot-at-once/--no-hot-at-once",
    default=None,
    help="Also email hot matches at once whatever --delivery says (default: no).",
)
@click.option("--hot-min-score", help="What counts as hot for --hot-at-once (default 90).")
def criteria_set(slug, subscriber_id, file, **options) -> None:
    """Replace a subscriber's criteria (options not given take their defaults)."""
    from pydantic import ValidationError

    from pipelines.accounts.criteria import Criteria
    from pipelines.accounts.subscribers import set_criteria
    from pipelines.accounts.tenants import SetupError
    from pipelines.listings.model import errors_text

    if file:
        try:
            values = json.loads(file.read_text())
        except json.JSONDecodeError as exc:
            fail(f"{file}: invalid JSON at line {exc.lineno}: {exc.msg}")
    else:
        values = {
            k: (list(v) if isinstance(v, tuple) else v)
            for k, v in options.items()
            if v is not None and v != ()
        }
    try:
        parsed = Criteria.model_validate(values)
    except ValidationError as exc:
        fail(f"criteria refused: {errors_text(exc)}")
    engine = migrated_engine()
    try:
        set_criteria(engine, tenant_or_fail(engine, slug)["id"], subscriber_id, parsed)
    except SetupError as exc:
        fail(str(exc))
    console.print(f"subscriber {subscriber_id}: {parsed.model_dump_json(exclude_none=True)}")
