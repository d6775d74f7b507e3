"""Putting messages in the outbox (`notifications`, state `queued`).

The unique (subscriber, item, channel) key and the idempotency key derived from it make
queueing idempotent: a re-run or a replayed sensor adds nothing.
"""

from __future__ import annotations

import json
from datetime import datetime

from sqlalchemy import Connection

from pipelines import clock
from pipelines.db.schema import notifications
from pipelines.db.upsert import insert_ignore_rows
from pipelines.kinds import Channel, values
from pipelines.workqueue import MESSAGE_MOVES, MessageState, WorkQueue

CHANNELS = values(Channel)
# Delivered one at a time by deliver_outreach, each screened again before it goes.
OUTREACH_CHANNELS = (Channel.SMS.value, Channel.VOICE.value, Channel.WEBHOOK.value)


def _outbox(*channels: str) -> WorkQueue:
    return WorkQueue(
        notifications,
        MessageState,
        MESSAGE_MOVES,
        MessageState.QUEUED,
        MessageState.SENDING,
        scope=notifications.c.channel.in_(channels),
    )


# The outbox is one table worked as three queues: every channel (an operator's view), email
# (deliver_email) and SMS, calls and webhooks (deliver_outreach).
OUTBOX = _outbox(*CHANNELS)
EMAIL_OUTBOX = _outbox(Channel.EMAIL.value)
OUTREACH_OUTBOX = _outbox(*OUTREACH_CHANNELS)

TEMPLATE_FOR = {
    "listing": "new_lead_alert",
    "lead": "new_lead_alert",
    "group": "lead_alert_group",  # item_id: the first match it carries
    "digest": "daily_digest",  # item_id: the business day, YYYYMMDD
    "weekly": "weekly_report",  # item_id: the week's Monday, YYYYMMDD
    "welcome": "welcome_email",
    "report": "report_ready",  # item_id: the report request
    # item_id: the grant (token_ledger id) each is about
    "receipt": "payment_receipt",
    "trial_end": "expiring_trial",
    "expiring": "tokens_expiring",
    "refusals": "outreach_refused",  # item_id: the county day, YYYYMMDD
}
NOTIFICATION_KEY = ["subscriber_id", "item_kind", "item_id", "channel"]


def idempotency_key(channel: str, subscriber_id: int, item_kind: str, item_id: int) -> str:
    return f"{channel}:s{subscriber_id}:{item_kind}:{item_id}"


def outbox_row(
    tenant_id: int,
    subscriber_id: int,
    item_kind: str,
    item_id: int,
    channel: str,
    now: datetime,
    context: dict | None = None,
) -> dict:
    """One queued outbox row. `context`: what the message shows, as its producer knows it
    now (JSON-serialisable; the outbox renders from it and reads no other domain's tables)."""
    return {
        "tenant_id": tenant_id,
        "subscriber_id": subscriber_id,
        "item_kind": item_kind,
        "item_id": item_id,
        "channel": channel,
        "template": TEMPLATE_FOR[item_kind],
        "state": MessageState.QUEUED,
        "attempts": 0,
        "idempotency_key": idempotency_key(channel, subscriber_id, item_kind, item_id),
        "created_at": now,
        "updated_at": now,
        "context": json.dumps(context, default=str) if context is not None else None,
    }


def queue_email(
    conn: Connection,
    tenant_id: int,
    subscriber_id: int,
    item_kind: str,
    item_id: int,
    context: dict | None = None,
) -> int:
    """Queue one email about one thing (at most once: the outbox's unique key)."""
    now = clock.now()
    row = outbox_row(tenant_id, subscriber_id, item_kind, item_id, "email", now, context)
    return insert_ignore_rows(conn, notifications, [row], NOTIFICATION_KEY)


def queue_welcome(conn: Connection, tenant_id: int, subscriber_id: int) -> int:
    return queue_email(conn, tenant_id, subscriber_id, "welcome", subscriber_id)


def queue_report_ready(
    conn: Connection, tenant_id: int, subscriber_id: int, request_id: int, report: dict
) -> int:
    """`report`: the request's id, kind and format, and the stored report's id, bytes and
    sha256 (the email's download link is signed for the report id)."""
    return queue_email(conn, tenant_id, subscriber_id, "report", request_id, {"report": report})
