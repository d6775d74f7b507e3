"""Grants that lapse (docs/domain.md#tokens): what is left of a grant when it expires.

Tokens are spent from the grant that expires soonest (grants that never expire last), so a
trial is used before a purchase. What a grant has left is found by replaying the tenant's
entries in order; only that remainder expires, and never more than is free at that moment
(tokens held by an open reservation are already promised).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from sqlalchemy import Engine, select

from pipelines import clock
from pipelines.billing.ledger import L, _insert, _move, balance_in
from pipelines.db.schema import token_ledger

FAR = datetime.max.replace(tzinfo=timezone.utc)


def _utc(t: datetime | None) -> datetime | None:
    return t.replace(tzinfo=timezone.utc) if t is not None and t.tzinfo is None else t


@dataclass
class Bucket:
    grant_id: int
    kind: str
    expires_at: datetime | None
    left: int


def remaining_by_grant(entries: list) -> dict[int, Bucket]:
    """Replay one tenant's entries (in id order): what each live grant has left."""
    buckets: dict[int, Bucket] = {}
    for e in entries:
        at = _utc(e.created_at)
        if e.entry == "grant":
            buckets[e.id] = Bucket(e.id, e.grant_kind, _utc(e.expires_at), e.tokens)
        elif e.entry == "expire":
            buckets.pop(e.grant_id, None)
        elif e.entry == "capture":
            need = e.tokens
            usable = [b for b in buckets.values() if (b.expires_at or FAR) > at and b.left > 0]
            for b in sorted(usable, key=lambda b: (b.expires_at or FAR, b.grant_id)):
                take = min(need, b.left)
                b.left -= take
                need -= take
                if not need:
                    break
    return buckets


def _entries(conn, tenant_id: int) -> list:
    return list(conn.execute(select(token_ledger).where(L.tenant_id == tenant_id).order_by(L.id)))


def expire_lapsed(engine: Engine, now: datetime | None = None) -> dict[int, int]:
    """Write an `expire` entry for every grant past its expiry. Returns {grant id: tokens
    expired}. Keyed `expire:<grant id>`: a re-run expires nothing twice."""
    now = now or clock.now()
    with engine.connect() as conn:
        tenants = (
            conn.execute(
                select(L.tenant_id).where(L.entry == "grant", L.expires_at <= now).distinct()
            )
            .scalars()
            .all()
        )
    done: dict[int, int] = {}
    for tenant_id in tenants:
        with engine.begin() as conn:
            # Lock the tenant's row first: no spend may interleave with the replay.
            _move(conn, tenant_id)
            buckets = remaining_by_grant(_entries(conn, tenant_id))
            free = balance_in(conn, tenant_id).available
            for b in sorted(buckets.values(), key=lambda b: b.grant_id):
                if b.expires_at is None or b.expires_at > now:
                    continue
                amount = min(b.left, free)
                free -= amount
                # A grant spent to the last token has nothing to expire: no entry (ledger
                # entries always move at least one token), and it is not counted.
                if amount > 0:
                    _insert(
                        conn,
                        tenant_id,
                        "expire",
                        amount,
                        f"expire:{b.grant_id}",
                        grant_id=b.grant_id,
                        reason="grant expired",
                        created_at=now,
                    )
                    _move(conn, tenant_id, available=-amount)
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
            for b in remaining_by_grant(_entries(conn, tenant_id)).values():
                if b.expires_at and now < b.expires_at <= now + within and b.left > 0:
                    b.tenant_id = tenant_id  # type: ignore[attr-defined]
                    out.append(b)
    return out
