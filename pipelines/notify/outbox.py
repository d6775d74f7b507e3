"""The outbox as an operator sees it: list messages, settle one whose outcome is unknown.

A message in `unknown` left our side and we do not know whether the provider took it, so
it is never resent automatically; an operator who checked settles it here
(docs/domain.md#outbox).
"""

from __future__ import annotations

from sqlalchemy import Engine, select

from pipelines.billing.ledger import capture, release
from pipelines.db.schema import notifications
from pipelines.notify.queue import OUTBOX
from pipelines.workqueue import MessageState

STATES = tuple(s.value for s in MessageState)
RESOLUTIONS = {
    "sent": MessageState.SENT,
    "failed": MessageState.FAILED,
    "requeue": MessageState.QUEUED,
}


def list_messages(engine: Engine, state: str | None = None, limit: int = 50) -> list[dict]:
    n = notifications.c
    q = (
        select(
            n.id,
            n.tenant_id,
            n.subscriber_id,
            n.item_kind,
            n.item_id,
            n.channel,
            n.state,
            n.attempts,
            n.last_error,
        )
        .order_by(n.id.desc())
        .limit(limit)
    )
    if state:
        q = q.where(n.state == state)
    with engine.connect() as conn:
        return [dict(r) for r in conn.execute(q).mappings()]


def resolve_unknown(engine: Engine, notification_id: int, outcome: str) -> str | None:
    """Move a message out of `unknown` (sent, failed, or requeue = send again); returns the
    new state, or None when the message is not in `unknown`. A paid message's reservation
    is settled with it: captured when sent, released when failed, kept when requeued."""
    state = RESOLUTIONS[outcome]
    n = notifications.c
    with engine.begin() as conn:
        done = OUTBOX.move(
            conn,
            notification_id,
            state,
            from_=MessageState.UNKNOWN,
            last_error=f"resolved by operator as {outcome}",
        )
        reservation = conn.execute(select(n.reservation_id).where(n.id == notification_id)).scalar()
        if done and reservation is not None and state in (MessageState.SENT, MessageState.FAILED):
            settle = capture if state == MessageState.SENT else release
            settle(conn, reservation, reason=f"resolved by operator as {outcome}")
    return state.value if done else None
