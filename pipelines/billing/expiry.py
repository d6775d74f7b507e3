"""Grants that lapse (docs/domain.md#tokens): what is left of a grant when it expires.

Tokens are spent from the grant that expires soonest (grants that never expire last), so a
trial is used before a purchase. Whose tokens are whose is found by replaying the tenant's
entries (pipelines/billing/grants.py). When a grant lapses, what it has free expires; what an
open reservation holds of it does not yet (it is promised), and expires when that
reservation gives it back (ledger.release, or a capture of less than was held).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import Engine, select

from pipelines import clock
from pipelines.billing.grants import Bucket, replay
from pipelines.billing.ledger import L, _insert, _move, balance_in, tenant_entries

__all__ = ["Bucket", "expire_lapsed", "expiring_soon", "remaining_by_grant"]


def remaining_by_grant(entries: list) -> dict[int, Bucket]:
    """Replay one tenant's entries (in id order): what each live (not expired) grant has
    free."""
    return {g: b for g, b in replay(entries).buckets.items() if not b.closed}


def expire_lapsed(
    engine: Engine, now: datetime | None = None, tenant_id: int | None = None
) -> dict[int, int]:
    """Write an `expire` entry for what every grant past its expiry has free (of one tenant,
    or all). Returns {grant id: tokens expired}. The first is keyed `expire:<grant id>`; a
    later one (tokens an older release gave back) by the last entry it saw, so a re-run
    expires nothing twice."""
    now = now or clock.now()
    q = select(L.tenant_id).where(L.entry == "grant", L.expires_at <= now).distinct()
    if tenant_id is not None:
        q = q.where(L.tenant_id == tenant_id)
    with engine.connect() as conn:
        tenants = conn.execute(q).scalars().all()
    done: dict[int, int] = {}
    for tenant in tenants:
        with engine.begin() as conn:
            # Lock the tenant's row first: no spend or release may interleave with the replay.
            _move(conn, tenant)
            entries = tenant_entries(conn, tenant)
            buckets = replay(entries).buckets
            free = balance_in(conn, tenant).available
            last = entries[-1].id
            for b in sorted(buckets.values(), key=lambda b: b.grant_id):
                if b.expires_at is None or b.expires_at > now:
                    continue
                amount = min(b.left, free)
                free -= amount
                # A grant spent to the last token has nothing to expire: no entry (ledger
                # entries always move at least one token), and it is not counted.
                if amount > 0:
                    key = f"expire:{b.grant_id}:{last}" if b.closed else f"expire:{b.grant_id}"
                    _insert(
                        conn,
                        tenant,
                        "expire",
                        amount,
                        key,
                        grant_id=b.grant_id,
                        reason="grant expired",
                        created_at=now,
                    )
                    _move(conn, tenant, available=-amount)
                    done[b.grant_id] = amount
    return done


def expiring_soon(engine: Engine, within: timedelta, now: datetime | None = None) -> list[Bucket]:
    """Live grants that still hold tokens and expire within `within` (for reminders),
    with the tenant id on each as `.tenant_id`."""
    now = now or clock.now()
    out = []
    with engine.connect() as conn:
        tenants = (
            conn.execute(
                select(L.tenant_id)
                .where(L.entry == "grant", L.expires_at > now, L.expires_at <= now + within)
                .distinct()
            )
            .scalars()
            .all()
        )
        for tenant_id in tenants:
            for b in remaining_by_grant(tenant_entries(conn, tenant_id)).values():
                if b.expires_at and now < b.expires_at <= now + within and b.left > 0:
                    b.tenant_id = tenant_id  # type: ignore[attr-defined]
                    out.append(b)
    return out
