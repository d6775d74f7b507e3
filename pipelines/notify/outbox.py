"""Email delivery from the outbox: claim, send with the retry budget, record every attempt.

A notification moves `queued → sending → sent | failed | unknown`. The claim is one
conditional UPDATE (`WHERE state = 'queued'`), so two delivery runs over the same rows
send each message once. `unknown` is final here: the request left and no answer came
back, so resending could double-send; an operator (or reconciliation by the idempotency
key in the provider's custom args) decides. Every attempt is a row in `email_logs`.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

from sqlalchemy import Engine, and_, select, update

from pipelines.notify.email import EmailMessage, OutcomeUnknown, PermanentSendError, TransientSendError
from pipelines.notify.render import render
from pipelines.settings import RETRY_BUDGETS, Settings, get_settings
from pipelines.store.tables import (
    alert_criteria,
    email_logs,
    leads,
    listing_scores,
    listings,
    notifications,
    properties,
    subscribers,
    tenants,
)
from pipelines.tenants import Criteria


@dataclass
class DeliveryCounts:
    sent: int = 0
    failed: int = 0
    unknown: int = 0
    skipped: int = 0  # claimed by another run meanwhile
    marked_unknown_stale: int = 0
    errors: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {k: v for k, v in self.__dict__.items() if k != "errors"}


def _now() -> datetime:
    return datetime.now(timezone.utc)


def mark_stale_sending(engine: Engine, settings: Settings) -> int:
    """A message left in `sending` past the stale limit belongs to a run that died mid-call:
    it may have gone out, so it becomes `unknown`, never `queued`."""
    cutoff = _now() - timedelta(seconds=settings.sending_stale_seconds)
    with engine.begin() as conn:
        return conn.execute(update(notifications)
                            .where(notifications.c.state == "sending", notifications.c.updated_at < cutoff)
                            .values(state="unknown", last_error="stale in sending: the delivering run died",
                                    updated_at=_now())).rowcount


def _claim(engine: Engine, notification_id: int) -> bool:
    with engine.begin() as conn:
        return conn.execute(update(notifications)
                            .where(notifications.c.id == notification_id, notifications.c.state == "queued")
                            .values(state="sending", updated_at=_now())).rowcount == 1


def _finish(engine: Engine, notification_id: int, state: str, attempts: int, message_id: str | None,
            error: str | None) -> None:
    now = _now()
    with engine.begin() as conn:
        conn.execute(update(notifications).where(notifications.c.id == notification_id).values(
            state=state, attempts=attempts, provider_message_id=message_id, last_error=error, updated_at=now,
            sent_at=now if state == "sent" else None))


def _log(engine: Engine, msg: EmailMessage, notification_id: int, attempt: int, status: str,
         message_id: str | None, error: str | None) -> None:
    with engine.begin() as conn:
        conn.execute(email_logs.insert().values(
            tenant_id=msg.tenant_id, notification_id=notification_id, to_address=msg.to, template=msg.template,
            status=status, provider_message_id=message_id, attempt=attempt, error=error, created_at=_now()))


def send_one(engine: Engine, sender, msg: EmailMessage, notification_id: int, settings: Settings,
             sleep: Callable[[float], None] = time.sleep) -> str:
    """Send a claimed message within the email retry budget; returns its final state."""
    budget = RETRY_BUDGETS["email"]
    for attempt in range(1, budget.max_attempts + 1):
        try:
            message_id = sender.send(msg)
        except TransientSendError as exc:
            _log(engine, msg, notification_id, attempt, "retrying" if attempt < budget.max_attempts else "failed",
                 None, str(exc))
            if attempt == budget.max_attempts:
                _finish(engine, notification_id, "failed", attempt, None, f"{attempt} attempts: {exc}")
                return "failed"
            sleep(budget.delay_before(attempt + 1, settings.retry_delay_scale))
            continue
        except PermanentSendError as exc:
            _log(engine, msg, notification_id, attempt, "failed", None, str(exc))
            _finish(engine, notification_id, "failed", attempt, None, str(exc))
            return "failed"
        except OutcomeUnknown as exc:
            _log(engine, msg, notification_id, attempt, "unknown", None, str(exc))
            _finish(engine, notification_id, "unknown", attempt, None, str(exc))
            return "unknown"
        _log(engine, msg, notification_id, attempt, "sent", message_id, None)
        _finish(engine, notification_id, "sent", attempt, message_id, None)
        return "sent"
    raise AssertionError("unreachable")


def queued_email_ids(engine: Engine, up_to_id: int | None = None) -> list[int]:
    q = select(notifications.c.id).where(notifications.c.channel == "email", notifications.c.state == "queued")
    if up_to_id is not None:
        q = q.where(notifications.c.id <= up_to_id)
    with engine.connect() as conn:
        return list(conn.execute(q.order_by(notifications.c.id)).scalars())


def deliver_email(engine: Engine, sender, up_to_id: int | None = None, settings: Settings | None = None,
                  sleep: Callable[[float], None] = time.sleep, workers: int = 8) -> DeliveryCounts:
    """Deliver every queued email up to `up_to_id` (earlier leftovers included)."""
    settings = settings or get_settings()
    counts = DeliveryCounts(marked_unknown_stale=mark_stale_sending(engine, settings))
    ids = queued_email_ids(engine, up_to_id)
    messages = build_messages(engine, ids, settings)

    def one(notification_id: int) -> str:
        if not _claim(engine, notification_id):
            return "skipped"
        return send_one(engine, sender, messages[notification_id], notification_id, settings, sleep)

    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        for state in pool.map(one, ids):
            setattr(counts, state, getattr(counts, state) + 1)
    return counts


def build_messages(engine: Engine, ids: list[int], settings: Settings) -> dict[int, EmailMessage]:
    """Render each notification's message from its subscriber, tenant and item."""
    out: dict[int, EmailMessage] = {}
    for i in range(0, len(ids), 500):
        chunk = ids[i:i + 500]
        with engine.connect() as conn:
            rows = conn.execute(
                select(notifications, subscribers.c.email, subscribers.c.name.label("subscriber_name"),
                       tenants.c.name.label("tenant_name"))
                .join(subscribers, and_(subscribers.c.id == notifications.c.subscriber_id,
                                        subscribers.c.tenant_id == notifications.c.tenant_id))
                .join(tenants, tenants.c.id == notifications.c.tenant_id)
                .where(notifications.c.id.in_(chunk))).mappings().all()
            items = _items(conn, rows, settings)
        for r in rows:
            subscriber = {"email": r["email"], "name": r["subscriber_name"]}
            context = {"subscriber": subscriber, "tenant_name": r["tenant_name"],
                       "item": items.get((r["item_kind"], r["item_id"]))}
            if r["item_kind"] == "welcome":
                context["criteria"] = items[("criteria", r["subscriber_id"])]
            subject, text, html = render(r["template"], **context)
            out[r["id"]] = EmailMessage(to=r["email"], subject=subject, text=text, html=html, template=r["template"],
                                        idempotency_key=r["idempotency_key"], sender=settings.email_from,
                                        tenant_id=r["tenant_id"])
    return out


def _items(conn, rows, settings: Settings) -> dict[tuple[str, int], object]:
    """The listings, leads and criteria the rows talk about, fetched once per chunk."""
    want: dict[str, set[int]] = {"listing": set(), "lead": set(), "welcome": set()}
    for r in rows:
        want[r["item_kind"]].add(r["item_id"])
    items: dict[tuple[str, int], object] = {}
    base = settings.public_base_url.rstrip("/")
    if want["listing"]:
        q = (select(listings, listing_scores.c.score, listing_scores.c.roi, listing_scores.c.cap_rate,
                    listing_scores.c.reasoning)
             .join(listing_scores, listing_scores.c.listing_id == listings.c.id)
             .where(listings.c.id.in_(want["listing"])))
        for m in conn.execute(q).mappings():
            items[("listing", m["id"])] = {**m, "kind": "listing", "price": float(m["price"]),
                                           "link": f"{base}/listings/{m['id']}"}
    if want["lead"]:
        q = (select(leads.c.id, leads.c.lead_type, leads.c.folio, leads.c.score, leads.c.contact_name,
                    properties.c.address, properties.c.city, properties.c.zip)
             .join(properties, properties.c.folio == leads.c.folio, isouter=True)
             .where(leads.c.id.in_(want["lead"])))
        for m in conn.execute(q).mappings():
            items[("lead", m["id"])] = {**m, "kind": "lead", "link": f"{base}/leads/{m['id']}"}
    if want["welcome"]:
        q = select(alert_criteria).where(alert_criteria.c.subscriber_id.in_(want["welcome"]))
        for m in conn.execute(q).mappings():
            items[("criteria", m["subscriber_id"])] = Criteria.from_row(dict(m))
    return items
