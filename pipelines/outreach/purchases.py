"""Token purchases (Stripe) and the nightly expiry of lapsed grants, with their emails.

A purchase arrives as Stripe's `checkout.session.completed` event on `POST /billing/stripe`.
The event is verified with the webhook signing secret (STRIPE_WEBHOOK_SECRET, from the
settings only) by the `stripe` SDK, and its timestamp must be within
`stripe_signature_tolerance_seconds` of our clock, past or future (a replayed old delivery is
refused). The Checkout Session says what was bought in its metadata: `tenant` (the tenant's
slug), `tokens` (ASCII digits, 1 to `stripe_max_tokens`), and optionally `subscriber_id`
(who gets the receipt; otherwise the tenant's first active subscriber, the account's owner).

Every signed event is recorded once per event id in `stripe_events` with what became of it
(granted, refused with the reason, or ignored) and answered 2xx: Stripe redelivers anything
else for days, and a signed event that cannot be used now never will be. Everything about
the event is validated before anything is written; then the grant (keyed
`stripe:<event id>`), its `payment_receipt` email and the event's row commit together, so a
failure leaves nothing half done and a redelivery grants nothing twice.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StrictInt, ValidationError, field_validator
from sqlalchemy import Connection, Engine, select
from sqlalchemy.exc import IntegrityError

from pipelines import clock
from pipelines.accounts.subscribers import account_owner as owner
from pipelines.billing.expiry import expire_lapsed, expiring_soon
from pipelines.billing.ledger import MAX_TOKENS, grant_in
from pipelines.billing.notices import grant_notice
from pipelines.db.schema import tenants
from pipelines.db.schema.billing import stripe_events
from pipelines.db.upsert import insert_ignore_rows
from pipelines.notify.queue import queue_email
from pipelines.outreach.refusals import queue_refusal_notices
from pipelines.redaction import redact
from pipelines.settings import get_settings

PURCHASE_EVENT = "checkout.session.completed"


class PurchaseRefused(Exception):
    """The request is not a Stripe event we can trust: `status` is the HTTP answer (400: the
    signature or its timestamp is wrong; 503: purchases are not configured). Signed events
    that cannot be used are not refused this way: they are recorded and answered 2xx."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class Purchase:
    event_id: str | None
    granted: bool  # True: granted now (False: a redelivery, refused or ignored)
    tokens: int = 0
    tenant_id: int | None = None
    outcome: str = "granted"  # granted | duplicate | refused | ignored
    reason: str | None = None

    def as_dict(self) -> dict:
        return {
            "event": self.event_id,
            "granted": self.granted,
            "tokens": self.tokens,
            "outcome": self.outcome,
            "reason": self.reason,
        }


def _whole_number(value: Any) -> int:
    """A count as Stripe metadata carries it: a string of ASCII digits (`int()` alone would
    take "٧" or "1_000")."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and 0 < len(value) <= 10 and value.isascii() and value.isdigit():
        return int(value)
    raise ValueError("must be a whole number in ASCII digits")


class PurchaseMetadata(BaseModel):
    model_config = ConfigDict(extra="ignore")

    tenant: Annotated[str, Field(min_length=1, max_length=40)]
    tokens: Annotated[int, Field(ge=1, le=MAX_TOKENS)]
    # kept as sent: a malformed one only changes who gets the receipt (see _receipt_to)
    subscriber_id: Annotated[str, Field(max_length=40)] | None = None

    _tokens = field_validator("tokens", mode="before")(_whole_number)


class CheckoutSession(BaseModel):
    model_config = ConfigDict(extra="ignore")

    id: Annotated[str, Field(min_length=1, max_length=255)]
    amount_total: Annotated[StrictInt, Field(ge=0, le=10**12)] | None = None
    metadata: PurchaseMetadata


class EventData(BaseModel):
    model_config = ConfigDict(extra="ignore")

    object: dict[str, Any]


class StripeEvent(BaseModel):
    model_config = ConfigDict(extra="ignore")

    # Stripe's ids are `evt_` and letters and digits; the ledger key `stripe:<id>` must fit
    id: Annotated[str, Field(pattern=r"^[A-Za-z0-9_]{1,100}$")]
    type: Annotated[str, Field(min_length=1, max_length=100)]
    data: EventData


def _receipt_to(conn: Connection, tenant_id: int, named: str | None) -> tuple[int | None, str]:
    """(who gets the receipt, a note when it is not who the metadata named)."""
    if named is not None:
        try:
            sub_id = _whole_number(named)
        except ValueError:
            sub_id = None
        if sub_id is not None and sub_id <= MAX_TOKENS and (who := owner(conn, tenant_id, sub_id)):
            return who, ""
        note = "metadata.subscriber_id is not an active subscriber of the tenant; "
    else:
        note = ""
    who = owner(conn, tenant_id)
    if who is None:
        return None, note + "no active subscriber: no receipt queued"
    return who, (note + "receipt to the account's owner") if note else ""


def handle_stripe_event(engine: Engine, payload: bytes, signature: str | None) -> Purchase:
    settings = get_settings()
    secret = settings.stripe_webhook_secret.get_secret_value()
    if not secret:
        raise PurchaseRefused(503, "STRIPE_WEBHOOK_SECRET is not set: purchases are off")
    _verify(payload, signature, secret, settings.stripe_signature_tolerance_seconds)
    return _handle_signed(engine, payload, settings.stripe_max_tokens)


def _verify(payload: bytes, header: str | None, secret: str, tolerance: int) -> None:
    import stripe

    try:
        # no tolerance here: the SDK checks only the past, with the machine's clock
        stripe.WebhookSignature.verify_header(payload, header, secret)
    except (stripe.SignatureVerificationError, ValueError):  # ValueError: not UTF-8
        raise PurchaseRefused(400, "the Stripe-Signature header does not match") from None
    stamps = [v for k, _, v in (i.partition("=") for i in (header or "").split(",")) if k == "t"]
    stamp = stamps[0] if stamps else ""
    if not (stamp.isascii() and stamp.isdigit() and len(stamp) <= 12):
        raise PurchaseRefused(400, "the Stripe-Signature timestamp is not a number")
    skew = clock.now().timestamp() - int(stamp)
    if abs(skew) > tolerance:
        when = "old" if skew > 0 else "in the future"
        raise PurchaseRefused(
            400,
            f"the Stripe-Signature timestamp is {abs(skew):.0f} s {when} (tolerance {tolerance} s)",
        )


def _why(exc: ValidationError, prefix: str = "") -> str:
    return "; ".join(
        f"{prefix}{'.'.join(str(p) for p in e['loc']) or 'body'}: {e['msg']}"
        for e in exc.errors()[:3]
    )


def _handle_signed(engine: Engine, payload: bytes, max_tokens: int) -> Purchase:
    try:
        raw = json.loads(payload)
    except ValueError:
        return _record(engine, None, None, "refused", "the body is not JSON")
    if not isinstance(raw, dict):
        return _record(engine, None, None, "refused", "the body is not a JSON object")
    # a usable id keys whatever becomes of the event: a redelivery is answered from its row
    event_id = raw.get("id") if _usable_id(raw.get("id")) else None
    if event_id is not None and (seen := _seen(engine, event_id)) is not None:
        return seen
    try:
        event = StripeEvent.model_validate(raw)
    except ValidationError as exc:
        kind = raw.get("type") if isinstance(raw.get("type"), str) else None
        return _record(engine, event_id, kind, "refused", _why(exc))
    if event.type != PURCHASE_EVENT:
        return _record(engine, event.id, event.type, "ignored", f"{event.type} is not acted on")
    try:
        session = CheckoutSession.model_validate(event.data.object)
    except ValidationError as exc:
        return _record(engine, event.id, event.type, "refused", _why(exc, "data.object."))
    meta = session.metadata
    if meta.tokens > max_tokens:
        why = f"data.object.metadata.tokens: {meta.tokens:,} is over {max_tokens:,} a purchase"
        return _record(engine, event.id, event.type, "refused", why)
    with engine.connect() as conn:
        tenant_id = conn.execute(select(tenants.c.id).where(tenants.c.slug == meta.tenant)).scalar()
    if tenant_id is None:
        why = "data.object.metadata.tenant: no such tenant"
        return _record(engine, event.id, event.type, "refused", why)
    try:
        return _grant(engine, event, session, tenant_id)
    except IntegrityError:
        # the same event delivered twice at once: the other delivery granted it
        if (seen := _seen(engine, event.id)) is not None:
            return seen
        raise
    except ValueError as exc:  # the balance would overflow
        return _record(engine, event.id, event.type, "refused", str(exc), tenant_id)


def _usable_id(event_id: Any) -> bool:
    try:
        StripeEvent.model_validate({"id": event_id, "type": "x", "data": {"object": {}}})
    except ValidationError:
        return False
    return True


def _grant(engine: Engine, event: StripeEvent, session: CheckoutSession, tenant_id: int):
    meta = session.metadata
    paid = f"${(session.amount_total or 0) / 100:,.2f}"
    with engine.begin() as conn:
        grant_id, new = grant_in(
            conn,
            tenant_id,
            meta.tokens,
            f"stripe:{event.id}",
            kind="purchase",
            reason=redact(f"Stripe {session.id} paid {paid}"),
        )
        who, note = _receipt_to(conn, tenant_id, meta.subscriber_id)
        if who is not None:
            # keyed by the grant: a grant recorded before its receipt gets it now, once
            notice = {"grant": grant_notice(conn, grant_id, tenant_id)}
            queue_email(conn, tenant_id, who, "receipt", grant_id, notice)
        conn.execute(
            stripe_events.insert().values(
                event_id=event.id,
                event_type=event.type,
                outcome="granted",
                reason=redact(note) or None,
                tenant_id=tenant_id,
                tokens=meta.tokens,
                grant_id=grant_id,
                received_at=clock.now(),
            )
        )
    outcome = "granted" if new else "duplicate"
    return Purchase(event.id, new, meta.tokens, tenant_id, outcome, note or None)


def _seen(engine: Engine, event_id: str) -> Purchase | None:
    """A redelivery: answered from the event's row, nothing written."""
    e = stripe_events.c
    with engine.connect() as conn:
        row = conn.execute(select(stripe_events).where(e.event_id == event_id)).first()
    if row is None:
        return None
    reason = f"already {row.outcome}" + (f": {row.reason}" if row.reason else "")
    return Purchase(event_id, False, row.tokens or 0, row.tenant_id, "duplicate", reason)


def _record(
    engine: Engine,
    event_id: str | None,
    event_type: str | None,
    outcome: str,
    reason: str,
    tenant_id: int | None = None,
) -> Purchase:
    reason = redact(reason)[:500]
    row = {
        "event_id": event_id,
        "event_type": (event_type or "")[:100] or None,
        "outcome": outcome,
        "reason": reason,
        "tenant_id": tenant_id,
        "received_at": clock.now(),
    }
    with engine.begin() as conn:
        made = insert_ignore_rows(conn, stripe_events, [row], ["event_id"])
    if not made and event_id is not None:  # the same event, delivered twice at once
        return _seen(engine, event_id) or Purchase(event_id, False, outcome="duplicate")
    return Purchase(event_id, False, 0, tenant_id, outcome, reason)


def run_token_expiry(engine: Engine, now: datetime | None = None) -> dict[str, int]:
    """Expire lapsed grants, then queue the reminders: `expiring_trial` for trials ending
    within `trial_reminder_days`, `tokens_expiring` for other grants ending within
    `tokens_reminder_days`. Each email is keyed by its grant: sent once, whatever re-runs.
    Then yesterday's (the county's) notice of refused outreach, keyed by the day."""
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
            notice = {"grant": grant_notice(conn, b.grant_id, b.tenant_id)}
            made = queue_email(conn, b.tenant_id, who, kind, b.grant_id, notice)
            counts["trial_reminders" if trial else "expiry_reminders"] += made
    yesterday = clock.local(now).date() - timedelta(days=1)
    counts["refusal_notices"] = queue_refusal_notices(engine, yesterday)
    return counts
