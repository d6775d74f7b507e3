"""The daily notice of refused outreach (docs/domain.md#outreach): one email per tenant and
county day that had refusals, to the account's owner, with the count by rule, a few
examples, the token balance and where to buy more. Snapshotted when queued (the outbox
reads no ledger or compliance table); keyed by the day, so it is sent once."""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime, time, timedelta

from sqlalchemy import Engine, select

from pipelines import clock
from pipelines.accounts.subscribers import account_owner
from pipelines.billing.ledger import balance_in
from pipelines.db.schema import compliance_blocks
from pipelines.notify.phones import mask
from pipelines.notify.queue import queue_email
from pipelines.outreach.listing import REFUSED
from pipelines.settings import get_settings

EXAMPLES = 5  # refusals shown in the email; the rest are counted


def _day_bounds(day: date) -> tuple[datetime, datetime]:
    """The county day as UTC instants [start, end)."""
    start = datetime.combine(day, time(), tzinfo=clock.zone())
    return clock.as_utc(start), clock.as_utc(start + timedelta(days=1))


def queue_refusal_notices(engine: Engine, day: date) -> int:
    """Queue the notice of `day`'s refusals for every tenant that had some; returns how many
    were queued (0 on a re-run)."""
    start, end = _day_bounds(day)
    b = compliance_blocks.c
    with engine.begin() as conn:
        rows = conn.execute(
            select(compliance_blocks)
            .where(b.action.in_(REFUSED), b.created_at >= start, b.created_at < end)
            .order_by(b.tenant_id, b.id)
        ).all()
        by_tenant: dict[int, list] = {}
        for r in rows:
            by_tenant.setdefault(r.tenant_id, []).append(r)
        queued = 0
        for tenant_id, refused in by_tenant.items():
            who = account_owner(conn, tenant_id)
            if who is None:
                continue
            notice = {
                "day": day.isoformat(),
                "total": len(refused),
                "by_rule": dict(Counter(r.rule for r in refused).most_common()),
                "examples": [
                    {
                        "channel": r.channel,
                        "to": mask(r.to_phone),
                        "rule": r.rule,
                        "detail": r.detail,
                    }
                    for r in refused[:EXAMPLES]
                ],
                "available": balance_in(conn, tenant_id).available,
                "buy_url": get_settings().buy_tokens_url or None,
            }
            key = int(day.strftime("%Y%m%d"))
            queued += queue_email(conn, tenant_id, who, "refusals", key, {"refusals": notice})
    return queued
