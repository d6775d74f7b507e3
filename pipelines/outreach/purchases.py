"""Token purchases (Stripe) and the nightly expiry of lapsed grants, with their emails.

A purchase arrives as Stripe's `checkout.session.completed` event on `POST /billing/stripe`.
The event is verified with the webhook signing secret (STRIPE_WEBHOOK_SECRET, environment
only) by the `stripe` SDK, then granted once per event id (`stripe:<event id>`), so Stripe's
redelivery of the same event grants nothing. The Checkout Session says what was bought in
its metadata: `tenant` (the tenant's slug), `tokens`, and optionally `subscriber_id` (who
gets the receipt; otherwise the tenant's first subscriber, the account's owner).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Connection, Engine, select

from pipelines import clock
from pipelines.billing.expiry import expire_lapsed, expiring_soon
from pipelines.billing.ledger import grant
from pipelines.db.schema import subscribers, tenants
from pipelines.notify.queue import queue_email
from pipelines.settings import get_settings


class PurchaseRefused(Exception):
    """The event is not one we can act on: `status` is the HTTP answer (400: not from
    Stripe or not readable; 422: readable but naming no tenant or no tokens)."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class Purchase:
    event_id: str
    granted: bool  # False: this event was granted before (a redelivery) or is not a purchase
    tokens: int = 0
    tenant_id: int | None = None


def owner(conn: Connection, tenant_id: int, subscriber_id: int | None = None) -> int | None:
    """Who gets billing email: the subscriber named, else the tenant's first active one."""
    s = subscribers.c
    q = select(s.id).where(s.tenant_id == tenant_id, s.active.is_(True))
    if subscriber_id is not None:
        q = q.where(s.id == subscriber_id)
    return conn.execute(q.order_by(s.id).limit(1)).scalar()


def handle_stripe_event(engine: Engine, payload: bytes, signature: str | None) -> Purchase:
    import stripe

    secret = os.environ.get("STRIPE_WEBHOOK_SECRET", "")
    if not secret:
        raise PurchaseRefused(503, "STRIPE_WEBHOOK_SECRET is not set: purchases are off")
    try:
        event = stripe.Webhook.construct_event(payload, signature, secret).to_dict()
    except stripe.SignatureVerificationError:
        raise PurchaseRefused(400, "the Stripe-Signature header does not match") from None
    except ValueError:
        raise PurchaseRefused(400, "the body is not a Stripe event") from None
    if event["type"] != "checkout.session.completed":
        return Purchase(event["id"], False)
    session = event["data"]["object"]
    meta = session.get("metadata") or {}
    try:
        tokens = int(meta.get("tokens", ""))
    except ValueError:
        raise PurchaseRefused(422, "metadata.tokens: must be a whole number") from None
    with engine.connect() as conn:
        tenant_id = conn.execute(
            select(tenants.c.id).where(tenants.c.slug == meta.get("tenant", ""))
        ).scalar()
    if tenant_id is None or tokens <= 0:
        raise PurchaseRefused(422, "metadata must name a known tenant and tokens > 0")
    paid = f"${(session.get('amount_total') or 0) / 100:,.2f}"
    grant_id, new = grant(
        engine,
        tenant_id,
        tokens,
        f"stripe:{event['id']}",
        kind="purchase",
        reason=f"Stripe {session.get('id')} paid {paid}",
    )
    if new:
        with engine.begin() as conn:
            sub_id = meta.get("subscriber_id")
            who = owner(conn, tenant_id, int(sub_id) if str(sub_id or "").isdigit() else None)
            if who is not None:
                queue_email(conn, tenant_id, who, "receipt", grant_id)
    return Purchase(event["id"], new, tokens, tenant_id)


def run_token_expiry(engine: Engine, now: datetime | None = None) -> dict[str, int]:
    """Expire lapsed grants, then queue the reminders: `expiring_trial` for trials ending
    within `trial_reminder_days`, `tokens_expiring` for other grants ending within
    `tokens_reminder_days`. Each email is keyed by its grant: sent once, whatever re-runs."""
    settings = get_settings()
    now = now or clock.now()
    expired = expire_lapsed(engine, now)
    counts = {
        "grants_expired": len(expired),
        "tokens_expired": sum(expired.values()),
        "trial_reminders": 0,
        "expiry_reminders": 0,
    }
    horizon = timedelta(days=max(settings.trial_reminder_days, settings.tokens_reminder_days))
    with engine.begin() as conn:
        for b in expiring_soon(engine, horizon, now):
            trial = b.kind == "trial"
            days = settings.trial_reminder_days if trial else settings.tokens_reminder_days
            if b.expires_at > now + timedelta(days=days):
                continue
            who = owner(conn, b.tenant_id)
            if who is None:
                continue
            kind = "trial_end" if trial else "expiring"
            made = queue_email(conn, b.tenant_id, who, kind, b.grant_id)
            counts["trial_reminders" if trial else "expiry_reminders"] += made
    return counts
