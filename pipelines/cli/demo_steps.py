"""The demo's later steps: the digest and a followed link, reports, paid outreach."""

from __future__ import annotations

from datetime import datetime

from pipelines import clock
from pipelines.accounts.criteria import LEAD_TYPES
from pipelines.cli.alerts import run_ticks
from pipelines.cli.common import console, fail

DEMO_TENANT = "demo-realty"
DEMO_SUBSCRIBERS = [
    (
        "investor@demo-realty.example",
        "Ivy Investor",
        {
            "min_score": 60,
            "cities": ["MIAMI", "HIALEAH"],
            "listing_types": ["sale", "auction", "foreclosure"],
        },
    ),
    (
        "agent@demo-realty.example",
        "Alex Agent",
        # lead scores rank (docs/domain.md#lead-scoring): most fresh foreclosures score 40+
        {"min_score": 40, "lead_types": ["probate", "foreclosure"]},
    ),
    (
        "buyer@demo-realty.example",
        "Nia Newowner",
        {"min_score": 40, "lead_types": ["new_homeowner", "eviction", "lien", "judgment"]},
    ),
    (
        "digest@demo-realty.example",
        "Dee Digest",
        {"min_score": 0, "lead_types": list(LEAD_TYPES), "delivery": "digest"},
    ),
]


def demo_digest_and_engagement(engine, day: str) -> None:
    """The digest of the last business day, then one email's link followed as its reader
    would (through the HTTP app), and the lead score moving at the next scoring."""
    from pipelines.cli.engagement import count_sent, follow_first_link
    from pipelines.control.instance import get_instance
    from pipelines.control.runner import run_job, run_partition

    instance = get_instance()
    outcome = run_partition(instance, "daily_digest_emails", day)
    if not outcome.success:
        fail(f"digest run {outcome.run_id} failed: {outcome.error}")
    run_ticks(True)
    digests = count_sent(engine, "daily_digest")
    followed = follow_first_link(engine)
    if followed is None:
        console.print("no lead email to follow")
        return
    outcome = run_job(instance, "lead_scoring")
    if not outcome.success:
        fail(f"lead scoring run {outcome.run_id} failed: {outcome.error}")
    after = followed.score_now(engine)
    console.print(
        f"daily digest for {day}: {digests} email(s) sent (see the outbox)\n"
        f"followed {followed.to}'s link {followed.url[:60]}…: page {followed.status}; "
        f"opened and clicked recorded\n"
        f"lead {followed.lead_id} score {followed.score_before:g} → {after:g} at the next "
        f"scoring (engagement bonus)"
    )


def demo_reports(engine) -> None:
    """The investor asks for their best listing's PDF and an Excel export of the agency's
    leads; `folio tick` builds both and emails the links."""
    from pipelines.accounts.subscribers import find_subscriber
    from pipelines.accounts.tenants import get_tenant
    from pipelines.cli.engagement import best_listing
    from pipelines.reports.requests import ReportRequestIn, request_report, request_view

    tenant = get_tenant(engine, DEMO_TENANT)
    investor = find_subscriber(engine, tenant["id"], DEMO_SUBSCRIBERS[0][0])
    asks = [
        ReportRequestIn(
            kind="listing",
            format="pdf",
            listing_id=best_listing(engine, tenant["id"]),
            subscriber_id=investor,
        ),
        ReportRequestIn(kind="leads_export", format="xlsx", subscriber_id=investor),
    ]
    ids = [request_report(engine, tenant["id"], ask) for ask in asks]
    run_ticks(True)
    for request_id in ids:
        view = request_view(engine, tenant["id"], request_id)
        console.print(
            f"report {request_id} ({view['kind']}, {view['format']}): {view['state']}, "
            f"{view['bytes'] or 0:,} bytes; the report_ready email carries its link"
        )


def demo_outreach(engine) -> None:
    """The agency gets trial tokens; the agent attaches a phone to one of their leads and
    asks Folio to text it. The next tick screens it (quiet hours may hold it until 08:00 in
    the recipient's zone), sends it to the SMS file outbox and captures the tokens."""
    from datetime import timedelta

    from sqlalchemy import select

    from pipelines.accounts.subscribers import find_subscriber
    from pipelines.accounts.tenants import get_tenant
    from pipelines.billing.ledger import balance, grant
    from pipelines.db.schema import alert_matches
    from pipelines.outreach.contacts import set_contact
    from pipelines.outreach.requests import OutreachError, OutreachIn, request_outreach

    tenant = get_tenant(engine, DEMO_TENANT)
    agent = find_subscriber(engine, tenant["id"], DEMO_SUBSCRIBERS[1][0])
    expires = clock.now() + timedelta(days=14)
    grant(
        engine,
        tenant["id"],
        100,
        "demo:trial",
        kind="trial",
        expires_at=expires,
        reason="demo trial",
    )
    am = alert_matches.c
    with engine.begin() as conn:
        lead_id = conn.execute(
            select(am.item_id)
            .where(am.tenant_id == tenant["id"], am.subscriber_id == agent, am.item_kind == "lead")
            .order_by(am.id)
            .limit(1)
        ).scalar()
        if lead_id is None:
            console.print("no lead matched the agent: no outreach to show")
            return
        set_contact(conn, tenant["id"], lead_id, "+13055550142", "Demo Owner")
    ask = OutreachIn(channel="sms", subscriber_id=agent, lead_id=lead_id)
    try:
        asked = request_outreach(engine, tenant["id"], ask, "demo:sms")
    except OutreachError as exc:
        console.print(f"outreach refused: {exc}")
        return
    run_ticks(True)
    from pipelines.outreach.requests import outreach_view

    view = outreach_view(engine, tenant["id"], asked["id"])
    b = balance(engine, tenant["id"])
    # the recipient's number is in the county: its wall clock is the county's
    wait = view["not_before"] and clock.show(datetime.fromisoformat(view["not_before"]))
    when = f" (quiet hours: waits until {wait})" if wait else ""
    console.print(
        f"outreach: an SMS to lead {lead_id}'s phone is {view['state']}{when}; tokens: 100 "
        f"trial, {b.available} available, {b.reserved} reserved "
        f"(folio tokens history {DEMO_TENANT}); SMS files: data/outbox/sms"
    )
