"""A grant as the billing emails show it (the receipt, the trial's end, tokens expiring):
snapshotted when the email is queued, so the outbox never reads the ledger."""

from __future__ import annotations

from sqlalchemy import Connection, select

from pipelines import clock
from pipelines.billing.expiry import remaining_by_grant
from pipelines.billing.ledger import balance_in
from pipelines.db.schema import token_ledger


def grant_notice(conn: Connection, grant_id: int, tenant_id: int) -> dict:
    """Its tokens, what is left of it, when it expires (the county's date), the tenant's
    balance, why it was granted and what was paid."""
    rows = list(
        conn.execute(
            select(token_ledger)
            .where(token_ledger.c.tenant_id == tenant_id)
            .order_by(token_ledger.c.id)
        )
    )
    grant = next(r for r in rows if r.id == grant_id and r.entry == "grant")
    bucket = remaining_by_grant(rows).get(grant_id)
    amount = (grant.reason or "").partition(" paid ")[2] or None
    return {
        "tokens": grant.tokens,
        "left": bucket.left if bucket else 0,
        # the county's date: a trial ending 23:59 in Miami is already tomorrow in UTC
        "expires_at": clock.show_date(grant.expires_at) or None,
        "available": balance_in(conn, tenant_id).available,
        "reason": grant.reason or grant.idempotency_key,
        "amount": amount,
    }
