"""Outreach requests (`POST /outreach`): a subscriber asks Folio to text or call a number or
a lead's attached phone, paid from the tenant's tokens.

The answer is decided at once: 202 queued (tokens reserved), 402 short of tokens, 422 with
the field or the compliance rule that stopped it. A client's `Idempotency-Key` makes a
repeated request return the first answer and reserve nothing again; the key is kept beside
the SHA-256 of the request's canonical body (its fields, defaults filled in, the number in
E.164), so the same key sent with another body is refused (422) instead of answered with
what the first body got.
"""

from __future__ import annotations

import hashlib
import json
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator
from sqlalchemy import Engine, select
from sqlalchemy.exc import IntegrityError

from pipelines import clock
from pipelines.billing.ledger import InsufficientTokens, balance_in
from pipelines.db.schema import (
    delivery_attempts,
    leads,
    notifications,
    outreach_requests,
    properties,
    subscribers,
)
from pipelines.notify.compliance import record_block
from pipelines.notify.paid import Refused, queue_paid
from pipelines.notify.phone_texts import OUTREACH_TEMPLATES
from pipelines.notify.phones import BadPhone, normalise
from pipelines.outreach.contacts import contact_for, is_entitled


class OutreachIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    channel: Literal["sms", "voice"]
    subscriber_id: int = Field(ge=1, le=2**31 - 1)
    to: str | None = Field(default=None, max_length=20)
    lead_id: int | None = Field(default=None, ge=1, le=2**31 - 1)
    template: str | None = None

    @model_validator(mode="after")
    def _one_target(self):
        if (self.to is None) == (self.lead_id is None):
            raise ValueError("give exactly one of to (an E.164 number) or lead_id")
        allowed = OUTREACH_TEMPLATES[self.channel]
        if self.template is None:
            self.template = allowed[0]
        elif self.template not in allowed:
            raise ValueError(f"template: a {self.channel} uses one of {', '.join(allowed)}")
        return self


IDEMPOTENCY_KEY = "Idempotency-Key"


class OutreachError(Exception):
    """A request refused before anything was reserved: HTTP status, field or rule, message."""

    def __init__(self, status: int, where: str, message: str, extra: dict | None = None):
        super().__init__(message)
        self.status, self.where, self.extra = status, where, extra or {}


def _target(conn, tenant_id: int, ask: OutreachIn) -> tuple[str, str | None]:
    """(E.164 number, the lead's zip) the request goes to."""
    if ask.lead_id is None:
        try:
            return normalise(ask.to or ""), None
        except BadPhone as exc:
            raise OutreachError(422, "to", str(exc)) from None
    if not is_entitled(conn, tenant_id, ask.lead_id):
        raise OutreachError(404, "lead_id", f"no lead {ask.lead_id} for this tenant")
    contact = contact_for(conn, tenant_id, ask.lead_id)
    if contact is None:
        raise OutreachError(
            422,
            "lead_id",
            f"lead {ask.lead_id} has no phone: attach one first "
            "(PUT /leads/{id}/contact or folio leads contacts import)",
        )
    zip_code = conn.execute(
        select(properties.c.zip)
        .join(leads, leads.c.folio == properties.c.folio)
        .where(leads.c.id == ask.lead_id)
    ).scalar()
    return contact.phone, zip_code


def body_sha256(ask: OutreachIn) -> str:
    """The request's canonical body, hashed: what makes two requests the same request."""
    body = ask.model_dump(mode="json")
    if ask.to is not None:
        try:
            body["to"] = normalise(ask.to)
        except BadPhone:
            pass  # refused before anything is kept
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def _existing(engine: Engine, tenant_id: int, key: str, digest: str) -> dict | None:
    """The first answer to `key`; OutreachError 422 when the key came with another body."""
    o = outreach_requests.c
    with engine.connect() as conn:
        row = conn.execute(
            select(o.id, o.body_sha256).where(o.tenant_id == tenant_id, o.idempotency_key == key)
        ).first()
    if row is None:
        return None
    if row.body_sha256 is not None and row.body_sha256 != digest:
        raise OutreachError(
            422,
            IDEMPOTENCY_KEY,
            f"Idempotency-Key {key!r} was used with a different request body; "
            "send the same body to get its answer again, or use a new key",
        )
    return outreach_view(engine, tenant_id, row.id)


def request_outreach(
    engine: Engine, tenant_id: int, ask: OutreachIn, idempotency_key: str | None = None
) -> dict:
    """Queue it (the view, with tokens_reserved) or raise OutreachError / the same answer
    again for a replayed Idempotency-Key."""
    digest = body_sha256(ask)
    if idempotency_key and (seen := _existing(engine, tenant_id, idempotency_key, digest)):
        return seen
    now = clock.now()
    try:
        with engine.begin() as conn:
            sub = conn.execute(
                select(subscribers.c.id).where(
                    subscribers.c.id == ask.subscriber_id, subscribers.c.tenant_id == tenant_id
                )
            ).first()
            if sub is None:
                raise OutreachError(422, "subscriber_id", f"no subscriber {ask.subscriber_id}")
            phone, zip_code = _target(conn, tenant_id, ask)
            rid = conn.execute(
                outreach_requests.insert()
                .values(
                    tenant_id=tenant_id,
                    subscriber_id=ask.subscriber_id,
                    channel=ask.channel,
                    to_phone=phone,
                    lead_id=ask.lead_id,
                    template=ask.template,
                    idempotency_key=idempotency_key,
                    body_sha256=digest if idempotency_key else None,
                    created_at=now,
                )
                .returning(outreach_requests.c.id)
            ).scalar_one()
            try:
                queued = queue_paid(
                    conn,
                    tenant_id,
                    ask.subscriber_id,
                    "outreach",
                    rid,
                    ask.channel,
                    phone,
                    ask.template,
                    zip_code,
                    now,
                )
            except InsufficientTokens as exc:
                raise OutreachError(
                    402,
                    "tokens",
                    str(exc),
                    {"balance": balance_in(conn, tenant_id).available, "needed": exc.needed},
                ) from None
            except Refused as exc:
                raise OutreachError(422, exc.rule, exc.detail, {"to": phone}) from None
            conn.execute(
                outreach_requests.update()
                .where(outreach_requests.c.id == rid)
                .values(notification_id=queued.notification_id)
            )
    except OutreachError as exc:
        # The refusal is kept (GET /outreach?state=refused lists it), the request is not.
        if exc.where in ("opt_out", "daily_cap", "tokens"):
            to = exc.extra.get("to") or phone
            with engine.begin() as conn:
                record_block(conn, tenant_id, ask.channel, to, exc.where, "refused", str(exc))
        raise
    except IntegrityError:
        # The same Idempotency-Key raced us and won: its answer is ours (same body).
        if idempotency_key and (seen := _existing(engine, tenant_id, idempotency_key, digest)):
            return seen
        raise
    return outreach_view(engine, tenant_id, rid)


def outreach_view(engine: Engine, tenant_id: int, request_id: int) -> dict | None:
    o, n = outreach_requests.c, notifications.c
    with engine.connect() as conn:
        row = conn.execute(
            select(
                outreach_requests,
                n.state,
                n.delivery_status,
                n.attempts,
                n.tokens,
                n.not_before,
                n.last_error,
                n.provider_message_id,
                n.sent_at,
            )
            .join(notifications, n.id == o.notification_id)
            .where(o.id == request_id, o.tenant_id == tenant_id)
        ).first()
        if row is None:
            return None
        log = delivery_attempts
        attempts = [
            {
                "attempt": a.attempt,
                "status": a.status,
                "error": a.error,
                "at": a.created_at.isoformat(),
            }
            for a in conn.execute(
                select(log).where(log.c.notification_id == row.notification_id).order_by(log.c.id)
            )
        ]
    return {
        "id": row.id,
        "channel": row.channel,
        "to": row.to_phone,
        "lead_id": row.lead_id,
        "template": row.template,
        "state": row.state,
        "delivery_status": row.delivery_status,
        "tokens_reserved": row.tokens,
        "not_before": row.not_before.isoformat() if row.not_before else None,
        "error": row.last_error,
        "attempts": attempts,
    }
