"""Builders for outreach tests: a tenant with tokens and a subscriber, every hour allowed
(so a test's outcome never depends on the time of day it runs), and outreach queued."""

from __future__ import annotations

from sqlalchemy import select

from pipelines.billing.ledger import grant
from pipelines.db.engine import get_engine
from pipelines.db.schema import notifications, token_ledger
from pipelines.notify.paid_delivery import deliver_outreach
from pipelines.notify.phone_senders import open_phone_sender
from pipelines.notify.webhooks import WebhookSender
from pipelines.outreach.requests import OutreachIn, request_outreach
from tests.listing_helpers import tenant_with_subscribers

LEAD_PHONE = "+13055550142"


def all_hours(monkeypatch) -> None:
    monkeypatch.setenv("FOLIO_OUTREACH_ALLOWED_FROM", "00:00")
    monkeypatch.setenv("FOLIO_OUTREACH_ALLOWED_UNTIL", "23:59:59.999999")
    monkeypatch.setenv("FOLIO_RETRY_DELAY_SCALE", "0.01")


def funded_tenant(url: str, tokens: int = 100, slug: str = "acme"):
    tenant, (sub,), key = tenant_with_subscribers(url, slug, [{"channels": ["email", "sms"]}])
    if tokens:
        grant(get_engine(url), tenant["id"], tokens, f"seed:{slug}", reason="test")
    return tenant, sub, key


def ask(
    url: str,
    tenant: dict,
    sub: int,
    channel: str = "sms",
    to: str = LEAD_PHONE,
    key: str | None = None,
) -> dict:
    body = OutreachIn(channel=channel, subscriber_id=sub, to=to)
    return request_outreach(get_engine(url), tenant["id"], body, key)


def deliver(url: str, sleep=lambda s: None):
    return deliver_outreach(get_engine(url), open_phone_sender(), WebhookSender(5), sleep=sleep)


def row(url: str, nid: int):
    with get_engine(url).connect() as conn:
        return conn.execute(select(notifications).where(notifications.c.id == nid)).one()


def entries(url: str) -> list[tuple[str, int]]:
    with get_engine(url).connect() as conn:
        q = select(token_ledger.c.entry, token_ledger.c.tokens).order_by(token_ledger.c.id)
        return [tuple(r) for r in conn.execute(q)]


def nid_of(url: str, request_id: int) -> int:
    n = notifications.c
    with get_engine(url).connect() as conn:
        return conn.execute(
            select(n.id).where(n.item_kind == "outreach", n.item_id == request_id)
        ).scalar_one()
