"""What a tenant's outreach came to, in one list (docs/domain.md#outreach): its requests with
their message's state, and every message the compliance screen refused or blocked (no
tokens, an opt-out, quiet hours, the daily cap, an unverified phone), which never became a
request a tenant could poll."""

from __future__ import annotations

from typing import Literal

from sqlalchemy import Engine, select

from pipelines.db.schema import compliance_blocks, notifications, outreach_requests
from pipelines.notify.phones import mask

OutreachState = Literal["queued", "sending", "sent", "failed", "unknown", "refused"]
STATES: tuple[str, ...] = OutreachState.__args__
REFUSED = ("refused", "blocked")  # compliance_blocks actions that stop a message


def list_outreach(
    engine: Engine, tenant_id: int, state: str | None = None, limit: int = 100
) -> list[dict]:
    """The tenant's outreach, newest first: requests (`kind` request, their message's state)
    and refusals (`kind` refusal, state refused, with the rule). `state` narrows it."""
    items: list[dict] = []
    with engine.connect() as conn:
        if state in (None, "refused"):
            b = compliance_blocks.c
            q = (
                select(compliance_blocks)
                .where(b.tenant_id == tenant_id, b.action.in_(REFUSED))
                .order_by(b.id.desc())
                .limit(limit)
            )
            items += [
                {
                    "kind": "refusal",
                    "id": r.id,
                    "state": "refused",
                    "channel": r.channel,
                    "to": mask(r.to_phone),
                    "rule": r.rule,
                    "detail": r.detail,
                    "at": r.created_at,
                }
                for r in conn.execute(q)
            ]
        if state != "refused":
            o, n = outreach_requests.c, notifications.c
            q = (
                select(o.id, o.channel, o.to_phone, o.lead_id, o.created_at, n.state, n.last_error)
                .join(notifications, n.id == o.notification_id)
                .where(o.tenant_id == tenant_id)
                .order_by(o.id.desc())
                .limit(limit)
            )
            if state is not None:
                q = q.where(n.state == state)
            items += [
                {
                    "kind": "request",
                    "id": r.id,
                    "state": r.state,
                    "channel": r.channel,
                    "to": mask(r.to_phone),
                    "lead_id": r.lead_id,
                    "detail": r.last_error,
                    "at": r.created_at,
                }
                for r in conn.execute(q)
            ]
    items.sort(key=lambda i: (i["at"], i["kind"], i["id"]), reverse=True)
    return items[:limit]
