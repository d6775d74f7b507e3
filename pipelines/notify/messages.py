"""Outbox rows become email messages: the subscriber, the items, and every link signed for them.

Each item in an email carries two links: `/c/<token>` (records the click, then opens the
page) and the page itself, `/l/<token>`. The HTML part ends with a 1×1 image, `/o/<token>.gif`,
which records the open of every item the email carried. Every email but the welcome carries
an unsubscribe link and the `List-Unsubscribe` / `List-Unsubscribe-Post` headers (one-click
unsubscribe, RFC 8058). Links are signed for the recipient and expire (pipelines/notify/links.py).
"""

from __future__ import annotations

import json
from collections import Counter
from datetime import date
from email.utils import parseaddr

from sqlalchemy import Connection, Engine, and_, select

from pipelines.accounts.criteria import Criteria
from pipelines.db.schema import (
    alert_criteria,
    alert_matches,
    lead_scores,
    leads,
    listing_scores,
    listings,
    notifications,
    properties,
    subscribers,
    tenants,
)
from pipelines.notify.email import EmailMessage
from pipelines.notify.links import make_token, url
from pipelines.notify.render import render
from pipelines.settings import Settings

CARRIERS = ("group", "digest")  # emails that carry several matches
GRANT_NOTICES = ("receipt", "trial_end", "expiring")
# About the account, not an alert: its footer says so (not "your alert criteria").
ACCOUNT_NOTICES = (*GRANT_NOTICES, "refusals")
CARRIED = ("weekly", "report", *ACCOUNT_NOTICES)  # rendered from their `context` alone


def build_messages(engine: Engine, ids: list[int], settings: Settings) -> dict[int, EmailMessage]:
    """Render each notification's message from its subscriber, tenant and items."""
    out: dict[int, EmailMessage] = {}
    for i in range(0, len(ids), 500):
        with engine.connect() as conn:
            rows = _notification_rows(conn, ids[i : i + 500])
            for r in rows:
                out[r["id"]] = _message(conn, r, settings)
    return out


def _notification_rows(conn: Connection, ids: list[int]) -> list:
    return (
        conn.execute(
            select(
                notifications,
                subscribers.c.email,
                subscribers.c.name.label("subscriber_name"),
                tenants.c.name.label("tenant_name"),
            )
            .join(
                subscribers,
                and_(
                    subscribers.c.id == notifications.c.subscriber_id,
                    subscribers.c.tenant_id == notifications.c.tenant_id,
                ),
            )
            .join(tenants, tenants.c.id == notifications.c.tenant_id)
            .where(notifications.c.id.in_(ids))
        )
        .mappings()
        .all()
    )


def _message(conn: Connection, r, settings: Settings) -> EmailMessage:
    who = (r["subscriber_id"], r["tenant_id"], r["id"])
    context = {
        "subscriber": {"email": r["email"], "name": r["subscriber_name"]},
        "tenant_name": r["tenant_name"],
        "item": None,
        "items": [],
        "total": 0,
        "pixel": url("o", make_token("open", r["id"], *who[:2], r["id"])) + ".gif",
        "unsubscribe": url("u", make_token("unsubscribe", r["subscriber_id"], *who)),
        "account": r["item_kind"] in ACCOUNT_NOTICES,
    }
    kind = r["item_kind"]
    # What its producer snapshotted when it queued the message (reports, weeks, grants).
    snapshot = json.loads(r["context"]) if r["context"] else {}
    if kind in CARRIED and not snapshot:
        raise ValueError(
            f"notification {r['id']} ({kind}) has no context: it was queued before messages "
            "carried theirs; queue it again"
        )
    if kind in ("lead", "listing"):
        context["item"] = load_items(conn, [(kind, r["item_id"])], who)[0]
    elif kind in CARRIERS:
        am = alert_matches.c
        carried = conn.execute(
            select(am.item_kind, am.item_id)
            .where(am.notification_id == r["id"], am.subscriber_id == r["subscriber_id"])
            .order_by(am.score.desc(), am.item_date.desc(), am.id)
        ).all()
        # Every match is carried (and never sent again); the email lists the highest-scored
        # few and counts the rest: a subscriber reads fifty, not five thousand.
        shown = carried if kind == "digest" else carried[: settings.group_email_items]
        context["items"] = load_items(conn, [tuple(c) for c in shown], who)
        context["total"] = len(carried)
    elif kind == "weekly":
        summary, pdf_report = snapshot["summary"], snapshot.get("pdf_report_id")
        summary["week"] = date.fromisoformat(summary["week"])
        week = load_items(conn, [tuple(m) for m in summary["match_ids"]], who)
        context["summary"] = {
            **summary,
            "by_type": Counter(
                i.get("lead_type") or f"listing ({i['listing_type']})" for i in week
            ),
            "by_zip": Counter(i.get("zip") or "unknown" for i in week).most_common(10),
        }
        top = {tuple(t) for t in summary["top_ids"]}
        context["items"] = [i for i in week if (i["kind"], i["id"]) in top]
        context["pdf_link"] = (
            url("r", make_token("report", pdf_report, *who)) if pdf_report else None
        )
    elif kind == "report":
        report = snapshot["report"]
        context["report"] = {
            **report,
            "link": url("r", make_token("report", report["report_id"], *who)),
        }
    elif kind in GRANT_NOTICES:
        context["grant"] = snapshot["grant"]
    elif kind == "refusals":
        context["refusals"] = snapshot["refusals"]
    elif kind == "welcome":
        row = conn.execute(
            select(alert_criteria).where(alert_criteria.c.subscriber_id == r["subscriber_id"])
        ).mappings()
        context["criteria"] = Criteria.from_row(dict(row.one()))
    subject, text, html = render(r["template"], **context)
    headers = {}
    if kind != "welcome":
        headers = {
            "List-Unsubscribe": f"<{context['unsubscribe']}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        }
    return EmailMessage(
        to=r["email"],
        subject=subject,
        text=text,
        html=html,
        template=r["template"],
        idempotency_key=r["idempotency_key"],
        sender=sender_for(r["tenant_name"], settings.email_from),
        tenant_id=r["tenant_id"],
        headers=headers,
    )


def lead_facts(m) -> str:
    """What an alert says of a lead's property besides its address: the owner, where they
    mail from, the estimated equity and the kinds of distress stacked on it."""
    facts = []
    if m["owner_name"]:
        facts.append(f"owner {m['owner_name']}")
    if m["owner_mailing_state"]:
        where = ", ".join(x for x in (m["owner_mailing_city"], m["owner_mailing_state"]) if x)
        facts.append(f"mails from {where}")
    if m["equity_ratio"] is not None:
        facts.append(f"equity ~{round(m['equity_ratio'] * 100)}%")
    if (m["signals"] or 0) > 1:
        facts.append(f"{m['signals']} kinds of distress on the property")
    return " · ".join(facts)


def sender_for(tenant_name: str | None, email_from: str) -> str:
    """The From header: the tenant's name (their subscribers know them, not Folio) at
    Folio's sending address, quoted, on one line."""
    name, addr = parseaddr(email_from)
    shown = f"{tenant_name} via Folio" if tenant_name else (name or "Folio")
    shown = " ".join(shown.replace('"', "'").replace("\\", "").split())
    return f'"{shown}" <{addr or email_from}>'


def load_items(conn: Connection, wanted: list[tuple[str, int]], who: tuple) -> list[dict]:
    """The listings and leads named, in the order named, each with its signed links.
    `who`: (subscriber_id, tenant_id, notification_id) the links are signed for."""
    found: dict[tuple[str, int], dict] = {}
    listing_ids = [i for k, i in wanted if k == "listing"]
    lead_ids = [i for k, i in wanted if k == "lead"]
    if listing_ids:
        q = (
            select(
                listings,
                listing_scores.c.score,
                listing_scores.c.roi,
                listing_scores.c.cap_rate,
                listing_scores.c.reasoning,
            )
            .join(listing_scores, listing_scores.c.listing_id == listings.c.id)
            .where(listings.c.id.in_(listing_ids), listings.c.tenant_id == who[1])
        )
        for m in conn.execute(q).mappings():
            found[("listing", m["id"])] = {**m, "kind": "listing", "price": float(m["price"])}
    if lead_ids:
        q = (
            select(
                leads.c.id,
                leads.c.lead_type,
                leads.c.folio,
                leads.c.score,
                leads.c.lead_date,
                leads.c.contact_name,
                properties.c.address,
                properties.c.city,
                properties.c.zip,
                properties.c.owner_name,
                properties.c.owner_mailing_city,
                properties.c.owner_mailing_state,
                lead_scores.c.equity_ratio,
                lead_scores.c.signals,
            )
            .join(properties, properties.c.folio == leads.c.folio, isouter=True)
            .join(lead_scores, lead_scores.c.lead_id == leads.c.id, isouter=True)
            .where(leads.c.id.in_(lead_ids))
        )
        for m in conn.execute(q).mappings():
            found[("lead", m["id"])] = {
                **m,
                "kind": "lead",
                "score": round(m["score"]),
                "facts": lead_facts(m),
            }
    items = []
    for key in wanted:
        if key in found:
            token = make_token(key[0], key[1], *who)
            items.append({**found[key], "link": url("c", token), "page": url("l", token)})
    return items
