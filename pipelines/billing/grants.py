"""Which grant each token belongs to (docs/domain.md#tokens), found by replaying a tenant's
ledger entries in order. Nothing here is stored: the entries are the record, and this is how
they are read when expiry needs to know whose tokens are whose.

- A reservation takes its tokens from the grants that expire soonest (grants that never
  expire last, grants already past their expiry only when nothing else is left).
- A settlement spends the soonest-expiring of what its reservation held; the rest goes back
  to the grants it came from.
- An `expire` entry takes tokens out of its grant, and *closes* it.

So at any point each grant has `left` tokens free, and `holds` says which grants each open
reservation's tokens came from. What a lapsed or closed grant gets back from a settlement is
not free again: the settlement expires it (pipelines/billing/ledger.py).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone

FAR = datetime.max.replace(tzinfo=timezone.utc)


def utc(t: datetime | None) -> datetime | None:
    return t.replace(tzinfo=timezone.utc) if t is not None and t.tzinfo is None else t


@dataclass
class Bucket:
    grant_id: int
    kind: str
    expires_at: datetime | None
    left: int  # free to spend: not spent, not held by a reservation, not expired
    closed: bool = False  # an expire entry names it

    def lapsed(self, at: datetime) -> bool:
        return self.closed or (self.expires_at is not None and self.expires_at <= at)


# a reservation's tokens by grant, in the order they are spent: [[grant id, tokens], …]
Parts = list[list[int]]


@dataclass
class State:
    buckets: dict[int, Bucket] = field(default_factory=dict)
    holds: dict[int, Parts] = field(default_factory=dict)  # open reservation id -> parts


def _take(state: State, tokens: int, at: datetime) -> Parts:
    """Take `tokens` from the free ones, soonest expiry first, lapsed grants last."""
    parts: Parts = []
    order = sorted(
        (b for b in state.buckets.values() if b.left > 0),
        key=lambda b: (b.lapsed(at), b.expires_at or FAR, b.grant_id),
    )
    for b in order:
        if not tokens:
            break
        n = min(tokens, b.left)
        b.left -= n
        tokens -= n
        parts.append([b.grant_id, n])
    return parts


def split(parts: Parts, spent: int) -> tuple[Parts, Parts]:
    """A settlement of `spent` tokens: (what it spends, what goes back), by grant. The
    soonest-expiring tokens are the ones spent."""
    used, back = [], []
    for gid, n in parts:
        take = min(spent, n)
        spent -= take
        if take:
            used.append([gid, take])
        if n - take:
            back.append([gid, n - take])
    return used, back


def replay(entries) -> State:
    """One tenant's entries, in id order, replayed."""
    state = State()
    for e in entries:
        at = utc(e.created_at)
        if e.entry == "grant":
            state.buckets[e.id] = Bucket(e.id, e.grant_kind, utc(e.expires_at), e.tokens)
        elif e.entry == "reserve":
            state.holds[e.id] = _take(state, e.tokens, at)
        elif e.entry in ("capture", "release"):
            spent = e.tokens if e.entry == "capture" else 0
            _, back = split(state.holds.pop(e.reservation_id, []), spent)
            for gid, n in back:
                state.buckets[gid].left += n
        elif e.entry == "expire" and (b := state.buckets.get(e.grant_id)) is not None:
            b.closed = True
            n = min(e.tokens, b.left)
            b.left -= n
            # An expiry written before holds were counted could take more than the grant had
            # free; the rest came out of the balance all the same, so out of the next grants.
            if e.tokens - n:
                _take(state, e.tokens - n, at)
    return state
