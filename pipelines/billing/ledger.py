"""The token ledger (docs/domain.md#tokens): append-only entries and a balance row per tenant.

Spending is two-phase: `reserve` before any paid provider call, then exactly one of
`capture` (it happened) or `release` (it finally did not). Every entry carries a unique
idempotency key, so a retried or replayed step writes nothing twice, and a reservation's
settlement is keyed `settle:<id>`, so it is captured *or* released, once.

Why a balance row as well as the entries: "available ≥ n" must be checked and spent in one
step that no concurrent spender can slip between. A conditional UPDATE of the tenant's row
(`SET available = available - n WHERE available >= n`) is that step: PostgreSQL row-locks
and re-checks the condition for the second writer, SQLite has one writer at a time, and a
CHECK (available >= 0) stands behind both. The row changes only in the same transaction as
the entry that explains it, so `verify` can recompute it from the entries at any time.

Tokens of a lapsed grant never come back: a settlement that gives back tokens its
reservation took from a grant that has lapsed (or was expired already) writes an `expire`
entry for them with it (which grant a reservation's tokens came from: billing/grants.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, Engine, and_, exists, func, or_, select, update
from sqlalchemy.exc import IntegrityError

from pipelines import clock
from pipelines.billing.grants import replay, split
from pipelines.db.schema import token_accounts, token_ledger
from pipelines.db.upsert import insert_ignore_rows

GRANT_KINDS = ("purchase", "trial", "manual")
# The counters are 32-bit integers on PostgreSQL: a grant that would pass this is refused.
MAX_TOKENS = 2**31 - 1
L = token_ledger.c
A = token_accounts.c


class InsufficientTokens(Exception):
    def __init__(self, needed: int, available: int):
        super().__init__(f"{needed} tokens needed, {available} available")
        self.needed, self.available = needed, available


@dataclass(frozen=True)
class Balance:
    available: int  # free to spend
    reserved: int  # held by reservations not yet settled

    def as_dict(self) -> dict:
        return {"available": self.available, "reserved": self.reserved}


def _now() -> datetime:
    return clock.now()


def _ensure_account(conn: Connection, tenant_id: int) -> None:
    row = {"tenant_id": tenant_id, "available": 0, "reserved": 0, "updated_at": _now()}
    insert_ignore_rows(conn, token_accounts, [row], ["tenant_id"])


def _existing(conn: Connection, key: str):
    return conn.execute(select(token_ledger).where(L.idempotency_key == key)).first()


def _move(conn: Connection, tenant_id: int, available: int = 0, reserved: int = 0) -> bool:
    """Change the tenant's counters; False (nothing changed) when `available` would go below
    zero. The WHERE is the concurrency guard (see the module doc)."""
    stmt = (
        update(token_accounts)
        .where(A.tenant_id == tenant_id)
        .values(
            available=A.available + available, reserved=A.reserved + reserved, updated_at=_now()
        )
    )
    if available < 0:
        stmt = stmt.where(A.available >= -available)
    if reserved < 0:
        stmt = stmt.where(A.reserved >= -reserved)
    return conn.execute(stmt).rowcount == 1


def _insert(conn: Connection, tenant_id: int, entry: str, tokens: int, key: str, **cols) -> int:
    values = dict(tenant_id=tenant_id, entry=entry, tokens=tokens, idempotency_key=key)
    values.update(cols, created_at=cols.get("created_at") or _now())
    return conn.execute(token_ledger.insert().values(**values).returning(L.id)).scalar_one()


def grant(
    engine: Engine,
    tenant_id: int,
    tokens: int,
    key: str,
    kind: str = "manual",
    expires_at: datetime | None = None,
    reason: str | None = None,
) -> tuple[int, bool]:
    """Add tokens. Returns (grant entry id, True when granted now; False: the key was used)."""
    _check_grant(tokens, kind)
    return _once(
        engine, key, lambda conn: _grant(conn, tenant_id, tokens, key, kind, expires_at, reason)
    )


def grant_in(
    conn: Connection,
    tenant_id: int,
    tokens: int,
    key: str,
    kind: str = "manual",
    expires_at: datetime | None = None,
    reason: str | None = None,
) -> tuple[int, bool]:
    """`grant` inside the caller's transaction (so what the grant comes with, a receipt,
    commits with it). A concurrent grant of the same key fails on the unique index
    (IntegrityError): the caller's transaction is then void."""
    _check_grant(tokens, kind)
    if (row := _existing(conn, key)) is not None:
        return row.id, False
    return _grant(conn, tenant_id, tokens, key, kind, expires_at, reason), True


def _check_grant(tokens: int, kind: str) -> None:
    if isinstance(tokens, bool) or not isinstance(tokens, int) or tokens <= 0:
        raise ValueError("tokens: must be a positive whole number")
    if tokens > MAX_TOKENS:
        raise ValueError(f"tokens: at most {MAX_TOKENS:,}")
    if kind not in GRANT_KINDS:
        raise ValueError(f"kind: must be one of {', '.join(GRANT_KINDS)}")


def _grant(conn, tenant_id, tokens, key, kind, expires_at, reason) -> int:
    _ensure_account(conn, tenant_id)
    entry = _insert(
        conn, tenant_id, "grant", tokens, key, grant_kind=kind, expires_at=expires_at, reason=reason
    )
    room = conn.execute(
        update(token_accounts)
        .where(A.tenant_id == tenant_id, A.available <= MAX_TOKENS - tokens)
        .values(available=A.available + tokens, updated_at=_now())
    )
    if room.rowcount != 1:
        raise ValueError(f"tokens: the balance would pass {MAX_TOKENS:,}")
    return entry


def _once(engine: Engine, key: str, write) -> tuple[int, bool]:
    """Run `write(conn)` in one transaction unless an entry with `key` exists; a concurrent
    writer of the same key loses on the unique index and gets the winner's entry."""
    with engine.connect() as conn:
        if (row := _existing(conn, key)) is not None:
            return row.id, False
    try:
        with engine.begin() as conn:
            return write(conn), True
    except IntegrityError:
        with engine.connect() as conn:
            row = _existing(conn, key)
        if row is None:  # not our key that clashed: a real integrity failure
            raise
        return row.id, False


def reserve(
    conn: Connection,
    tenant_id: int,
    tokens: int,
    key: str,
    channel: str | None = None,
    notification_id: int | None = None,
) -> int:
    """Hold `tokens` inside the caller's transaction (so the reservation and the message it
    pays for commit together). Returns the reserve entry's id; the same key again returns
    the first reservation. Raises InsufficientTokens, leaving nothing held."""
    if (row := _existing(conn, key)) is not None:
        return row.id
    _ensure_account(conn, tenant_id)
    if not _move(conn, tenant_id, available=-tokens, reserved=tokens):
        raise InsufficientTokens(tokens, balance_in(conn, tenant_id).available)
    return _insert(
        conn, tenant_id, "reserve", tokens, key, channel=channel, notification_id=notification_id
    )


def attach(conn: Connection, reservation_id: int, notification_id: int) -> None:
    """Record which outbox message a reservation pays for (known only after queueing it)."""
    conn.execute(
        update(token_ledger)
        .where(L.id == reservation_id, L.entry == "reserve")
        .values(notification_id=notification_id)
    )


def tenant_entries(conn: Connection, tenant_id: int) -> list:
    """One tenant's entries in the order they were written (what billing/grants.py replays)."""
    q = select(token_ledger).where(L.tenant_id == tenant_id).order_by(L.id)
    return list(conn.execute(q))


def _settle(conn: Connection, reservation_id: int, spent: int, reason: str | None) -> bool:
    """Close a reservation: `spent` of it is captured, the rest goes back (or expires, when
    it was a lapsed grant's). False when it was settled already (by this or any other
    path)."""
    res = conn.execute(
        select(token_ledger).where(L.id == reservation_id, L.entry == "reserve")
    ).first()
    if res is None:
        raise ValueError(f"no reservation {reservation_id}")
    # Lock the tenant's row before reading what to do: the nightly expiry replays under the
    # same lock, so a grant cannot close between our reading and our writing.
    _move(conn, res.tenant_id)
    key = f"settle:{reservation_id}"
    if _existing(conn, key) is not None:
        return False
    spent = max(0, min(spent, res.tokens))
    lapsed = _lapsed_returns(conn, res, spent) if spent < res.tokens else []
    entry = "capture" if spent else "release"
    _insert(
        conn,
        res.tenant_id,
        entry,
        spent or res.tokens,
        key,
        reservation_id=reservation_id,
        channel=res.channel,
        notification_id=res.notification_id,
        reason=reason,
    )
    if not _move(conn, res.tenant_id, available=res.tokens - spent, reserved=-res.tokens):
        raise AssertionError(f"reservation {reservation_id} is not held by its tenant")
    for grant_id, n in lapsed:
        _insert(
            conn,
            res.tenant_id,
            "expire",
            n,
            f"expire:{grant_id}:{key}",
            grant_id=grant_id,
            reason=f"grant expired; given back by reservation {reservation_id}",
        )
        _move(conn, res.tenant_id, available=-n)
    return True


def _lapsed_returns(conn: Connection, res, spent: int) -> list[list[int]]:
    """[[grant id, tokens]] of what settling `res` gives back to grants that have lapsed or
    were expired. Replays the tenant's entries only when a grant older than the reservation
    has lapsed or been expired (most settlements need no replay)."""
    now = _now()
    older_lapsed = or_(
        and_(L.entry == "grant", L.id < res.id, L.expires_at <= now),
        and_(L.entry == "expire", L.grant_id < res.id),
    )
    q = select(L.id).where(L.tenant_id == res.tenant_id, older_lapsed).limit(1)
    if conn.execute(q).first() is None:
        return []
    state = replay(tenant_entries(conn, res.tenant_id))
    _, back = split(state.holds.get(res.id, []), spent)
    return [[g, n] for g, n in back if state.buckets[g].lapsed(now)]


def settled(reservation_id):
    """SQL: the reservation (an id, or a column holding one) was captured or released."""
    return exists().where(L.reservation_id == reservation_id, L.entry.in_(("capture", "release")))


def is_settled(conn: Connection, reservation_id: int) -> bool:
    return conn.execute(select(settled(reservation_id))).scalar()


def capture(
    conn: Connection, reservation_id: int, tokens: int | None = None, reason: str | None = None
) -> bool:
    """The paid call happened: keep `tokens` (default: all that was reserved)."""
    held = conn.execute(select(L.tokens).where(L.id == reservation_id)).scalar_one()
    return _settle(conn, reservation_id, held if tokens is None else tokens, reason)


def release(conn: Connection, reservation_id: int, reason: str | None = None) -> bool:
    """The paid call finally did not happen: every reserved token goes back."""
    return _settle(conn, reservation_id, 0, reason)


def balance_in(conn: Connection, tenant_id: int) -> Balance:
    row = conn.execute(select(A.available, A.reserved).where(A.tenant_id == tenant_id)).first()
    return Balance(row.available, row.reserved) if row else Balance(0, 0)


def balance(engine: Engine, tenant_id: int) -> Balance:
    with engine.connect() as conn:
        return balance_in(conn, tenant_id)


def history(engine: Engine, tenant_id: int, limit: int = 200) -> list[dict]:
    """The tenant's entries, newest first."""
    cols = [
        L.id,
        L.entry,
        L.tokens,
        L.grant_kind,
        L.expires_at,
        L.reservation_id,
        L.channel,
        L.notification_id,
        L.reason,
        L.created_at,
    ]
    with engine.connect() as conn:
        rows = conn.execute(
            select(*cols).where(L.tenant_id == tenant_id).order_by(L.id.desc()).limit(limit)
        )
        return [dict(r._mapping) for r in rows]


def verify(engine: Engine, tenant_id: int) -> Balance:
    """The balance recomputed from the entries alone (what the row must equal):
    available = grants − expired − captured − held; reserved = held."""
    with engine.connect() as conn:
        sums = dict(
            conn.execute(
                select(L.entry, func.coalesce(func.sum(L.tokens), 0))
                .where(L.tenant_id == tenant_id)
                .group_by(L.entry)
            ).all()
        )
    held = sums.get("reserve", 0) - sums.get("capture", 0) - sums.get("release", 0)
    # a capture of part of a reservation releases the rest without a release entry
    partial = _partial_returns(engine, tenant_id)
    held -= partial
    available = sums.get("grant", 0) - sums.get("expire", 0) - sums.get("capture", 0) - held
    return Balance(available, held)


def _partial_returns(engine: Engine, tenant_id: int) -> int:
    """Tokens returned by captures smaller than their reservation."""
    res = token_ledger.alias("res")
    with engine.connect() as conn:
        return conn.execute(
            select(func.coalesce(func.sum(res.c.tokens - L.tokens), 0))
            .select_from(token_ledger.join(res, and_(res.c.id == L.reservation_id)))
            .where(L.tenant_id == tenant_id, L.entry == "capture")
        ).scalar_one()
