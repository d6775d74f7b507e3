"""One work queue: a table of rows that move through typed states, claimed by conditional
UPDATEs so that two workers never take the same row (docs/architecture.md#work-queues).

Lookups, reports and the outbox (email, SMS, calls, webhooks) are each a `WorkQueue` over
their own table: the states and the moves allowed between them are declared once here, and
every move is one `UPDATE … WHERE state IN (<allowed from>)`, so a move that lost a race
changes nothing and says so (rowcount 0) instead of overwriting the winner.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import ColumnElement, Connection, Engine, Table, func, select, true, update

from pipelines import clock


class RequestState(StrEnum):
    """A lookup request: answered by the county's records API, or refused at once."""

    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"
    REFUSED = "refused"  # today's unit cap was used up when it was asked


class ReportState(StrEnum):
    QUEUED = "queued"
    BUILDING = "building"
    READY = "ready"
    FAILED = "failed"


class MessageState(StrEnum):
    """An outbox message (every channel). `unknown`: it left and no answer came back, so it
    is never resent automatically."""

    QUEUED = "queued"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"
    UNKNOWN = "unknown"


R, P, M = RequestState, ReportState, MessageState
# Every move a row may make, declared once. A queue's `move` refuses any other (ValueError:
# a programming error) and makes these only from the state the row is in when it runs.
REQUEST_MOVES = {
    R.QUEUED: frozenset({R.RUNNING}),
    R.RUNNING: frozenset({R.DONE, R.FAILED}),  # failed: by its run, or swept when it died
}
REPORT_MOVES = {
    P.QUEUED: frozenset({P.BUILDING}),
    # queued again: an error its run's next attempt may fix
    P.BUILDING: frozenset({P.READY, P.FAILED, P.QUEUED}),
}
MESSAGE_MOVES = {
    M.QUEUED: frozenset({M.SENDING, M.FAILED}),  # failed: withdrawn before it went
    # queued again: deferred by the compliance screen, or handed back after one try
    M.SENDING: frozenset({M.SENT, M.FAILED, M.UNKNOWN, M.QUEUED}),
    # the provider's status callback or a lookup settles it; an operator may requeue it
    M.UNKNOWN: frozenset({M.SENT, M.FAILED, M.QUEUED}),
    M.SENT: frozenset({M.FAILED}),  # an SMS or call the carrier finally did not deliver
}


@dataclass(frozen=True)
class WorkQueue:
    """A table with `id`, `state` and `updated_at` columns, worked as a queue.

    `moves` maps each state to the states it may move to; `queued` is where work waits and
    `working` where a claimed row is while a worker has it (a row left there past a limit
    belongs to a worker that died: `sweep_stale`). `scope` narrows the table to this
    queue's rows (the outbox's channels)."""

    table: Table
    states: type[StrEnum]
    moves: Mapping[StrEnum, frozenset[StrEnum]]
    queued: StrEnum
    working: StrEnum
    scope: ColumnElement[bool] = field(default_factory=true)

    def __post_init__(self):
        unknown = {s for s in self.moves} | {t for to in self.moves.values() for t in to}
        if stray := unknown - set(self.states):
            raise ValueError(f"{self.table.name}: moves name states it lacks: {sorted(stray)}")

    @property
    def c(self):
        return self.table.c

    def finished(self) -> frozenset[StrEnum]:
        """The states a row never leaves on its own (only an operator may move it on)."""
        return frozenset(s for s in self.states if not self.moves.get(s))

    def sources(self, to: StrEnum) -> list[str]:
        """The states from which a row may move to `to`."""
        return sorted(s.value for s, targets in self.moves.items() if to in targets)

    def move(
        self,
        conn: Connection,
        ids: int | Iterable[int],
        to: StrEnum,
        *,
        from_: StrEnum | Iterable[StrEnum] | None = None,
        where: ColumnElement[bool] | None = None,
        **values,
    ) -> list[int]:
        """Move the rows among `ids` that are in an allowed state (or in `from_`, which must
        be allowed) to `to`, setting `values`; returns the ids moved, ascending."""
        ids = [ids] if isinstance(ids, int) else list(ids)
        if not ids:
            return []
        allowed = self.sources(to)
        if from_ is not None:
            given = [from_] if isinstance(from_, StrEnum) else list(from_)
            if bad := [s.value for s in given if s.value not in allowed]:
                raise ValueError(f"{self.table.name}: no move {bad} → {to.value}")
            allowed = [s.value for s in given]
        q = (
            update(self.table)
            .where(self.c.id.in_(ids), self.c.state.in_(allowed), self.scope)
            .values(state=to.value, updated_at=values.pop("updated_at", None) or clock.now())
            .values(**values)
            .returning(self.c.id)
        )
        if where is not None:
            q = q.where(where)
        return sorted(conn.execute(q).scalars())

    def claim(self, conn: Connection, ids: int | Iterable[int], **values) -> list[int]:
        """queued → working for those of `ids` still queued: the ones this caller got."""
        return self.move(conn, ids, self.working, from_=self.queued, **values)

    def waiting(
        self,
        after_id: int = 0,
        up_to_id: int | None = None,
        where: ColumnElement[bool] | None = None,
    ):
        """SELECT of the queued ids past a cursor (and up to an id), oldest first."""
        q = select(self.c.id).where(
            self.c.state == self.queued.value, self.c.id > after_id, self.scope
        )
        if up_to_id is not None:
            q = q.where(self.c.id <= up_to_id)
        if where is not None:
            q = q.where(where)
        return q.order_by(self.c.id)

    def queued_after(
        self,
        engine: Engine,
        after_id: int = 0,
        limit: int | None = None,
        *,
        up_to_id: int | None = None,
        where: ColumnElement[bool] | None = None,
    ) -> list[int]:
        """Queued ids past the cursor, oldest first (what a sensor hands to runs)."""
        q = self.waiting(after_id, up_to_id, where)
        if limit is not None:
            q = q.limit(limit)
        with engine.connect() as conn:
            return list(conn.execute(q).scalars())

    def stale(self, now: datetime, older_than: timedelta) -> ColumnElement[bool]:
        """Rows left in `working` with no update for `older_than`: their worker died."""
        return (self.c.state == self.working.value) & (self.c.updated_at < now - older_than)

    def sweep_stale(
        self, conn: Connection, to: StrEnum, older_than: timedelta, **values
    ) -> list[int]:
        """Move every stale working row to `to` (each once: the move is conditional)."""
        now = values.pop("updated_at", None) or clock.now()
        ids = conn.execute(select(self.c.id).where(self.stale(now, older_than), self.scope))
        return self.move(
            conn,
            list(ids.scalars()),
            to,
            from_=self.working,
            where=self.stale(now, older_than),
            updated_at=now,
            **values,
        )

    def find(self, engine: Engine, row_id: int, tenant_id: int, query=None):
        """One row as its tenant sees it (a mapping), or None for another tenant's or no
        row: the view behind every request's poll. `query`: a SELECT over the table with
        joined columns, when the view shows more than the row."""
        q = select(self.table) if query is None else query
        with engine.connect() as conn:
            return (
                conn.execute(q.where(self.c.id == row_id, self.c.tenant_id == tenant_id))
                .mappings()
                .first()
            )

    def count(self, conn: Connection, state: StrEnum) -> int:
        return conn.execute(
            select(func.count()).where(self.c.state == state.value, self.scope)
        ).scalar_one()
