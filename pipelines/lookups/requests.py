"""Lookup requests: answered from `properties` when fresh, else queued for the records API
with units reserved, then performed by the lookup job (docs/domain.md#lookups)."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Connection, Engine, select, update

from pipelines import clock
from pipelines.db.plain import plain
from pipelines.db.schema import STAGED_TABLES, lookup_requests, properties, staged_lookup_records
from pipelines.lookups.query import LookupQuery
from pipelines.lookups.units import county_day, release, reserve, resets_at
from pipelines.redaction import redact
from pipelines.settings import Settings
from pipelines.workqueue import REQUEST_MOVES, RequestState, WorkQueue

r = lookup_requests.c
LOOKUPS = WorkQueue(
    lookup_requests, RequestState, REQUEST_MOVES, RequestState.QUEUED, RequestState.RUNNING
)
PROPERTY_FIELDS = (
    "folio",
    "address",
    "city",
    "zip",
    "owner_name",
    "last_sale_date",
    "last_sale_price",
    "last_transaction_type",
    "last_transaction_date",
    "first_seen_at",
    "updated_at",
)


@dataclass
class LookupAnswer:
    outcome: str  # cache | queued | refused | unavailable
    property: dict | None = None
    request_id: int | None = None
    reason: str | None = None
    resets_at: datetime | None = None


def resolve_folio(conn: Connection, query: LookupQuery) -> str | None:
    """The folio a query names: itself, or the folio of a document we have staged."""
    if query.folio:
        return query.folio
    for table in (STAGED_TABLES["official_records"], staged_lookup_records):
        c = table.c
        where = (
            (c.cfn == query.cfn)
            if query.cfn
            else (c.rec_book == query.book) & (c.rec_page == query.page)
        )
        folio = conn.execute(
            select(c.folio)
            .where(where, c.folio.is_not(None))
            .order_by(c.partition_key.desc())
            .limit(1)
        ).scalar()
        if folio:
            return folio
    return None


def property_view(
    conn: Connection, folio: str | None, since: datetime | None = None
) -> dict | None:
    if folio is None:
        return None
    q = select(*(properties.c[f] for f in PROPERTY_FIELDS)).where(properties.c.folio == folio)
    if since is not None:
        q = q.where(properties.c.updated_at >= since)
    row = conn.execute(q).mappings().first()
    return {k: plain(v) for k, v in row.items()} if row else None


def request_lookup(
    engine: Engine, tenant_id: int, query: LookupQuery, s: Settings, now: datetime | None = None
) -> LookupAnswer:
    """Answer from our data when the property was updated within the cache window; else
    reserve the expected units and queue the request (both in one transaction), or refuse
    it at once when today's cap would be passed."""
    now = now or clock.now()
    with engine.connect() as conn:
        cached = property_view(
            conn, resolve_folio(conn, query), now - timedelta(days=s.lookup_cache_days)
        )
    if cached:
        return LookupAnswer("cache", property=cached)
    if not s.records_api_url:  # nothing could answer it: say so now, hold no units
        reason = (
            "no records API is configured (set FOLIO_RECORDS_API_URL and FOLIO_RECORDS_API_KEY)"
        )
        return LookupAnswer("unavailable", reason=reason)
    day, units = county_day(now, s.timezone), s.lookup_expected_units
    row = {
        "tenant_id": tenant_id,
        "query_kind": query.kind,
        "query_value": query.value,
        "units_day": day,
        "attempts": 0,
        "progress": 0,
        "created_at": now,
        "updated_at": now,
    }
    with engine.begin() as conn:
        if reserve(conn, day, units, s.lookup_daily_unit_cap):
            rid = conn.execute(
                lookup_requests.insert().values(
                    **row, state=RequestState.QUEUED, units_reserved=units
                )
            ).inserted_primary_key[0]
            return LookupAnswer("queued", request_id=rid)
        reason = f"today's cap of {s.lookup_daily_unit_cap:,} records-API units is used up"
        rid = conn.execute(
            lookup_requests.insert().values(
                **row,
                state=RequestState.REFUSED,
                units_reserved=0,
                error=reason,
                finished_at=now,
            )
        ).inserted_primary_key[0]
    return LookupAnswer(
        "refused", request_id=rid, reason=reason, resets_at=resets_at(day, s.timezone)
    )


def request_view(engine: Engine, tenant_id: int, request_id: int) -> dict | None:
    """A tenant's request as a client polls it; None for another tenant's (or no) request."""
    row = LOOKUPS.find(engine, request_id, tenant_id)
    if row is None:
        return None
    return {
        "id": row["id"],
        "state": row["state"],
        "query": {"kind": row["query_kind"], "value": row["query_value"]},
        "progress": row["progress"],
        "attempts": row["attempts"],
        "result": json.loads(row["result"]) if row["result"] else None,
        "error": redact(row["error"]),  # a row kept before errors were redacted, too
        "created_at": plain(row["created_at"]),
        "finished_at": plain(row["finished_at"]),
    }


def wait_for(
    engine: Engine, tenant_id: int, request_id: int, seconds: float, poll: float = 0.2
) -> dict | None:
    """The request once it is done or failed, or as it stands when `seconds` run out."""
    deadline = time.monotonic() + seconds
    while True:
        view = request_view(engine, tenant_id, request_id)
        if view is None or view["state"] in LOOKUPS.finished() or time.monotonic() >= deadline:
            return view
        time.sleep(poll)


def queued_after(engine: Engine, after_id: int, limit: int = 100) -> list[int]:
    """Queued request ids past the sensor's cursor, oldest first."""
    return LOOKUPS.queued_after(engine, after_id, limit)


def set_state(conn: Connection, request_id: int, **values) -> None:
    conn.execute(
        update(lookup_requests).where(r.id == request_id).values(updated_at=clock.now(), **values)
    )


def fail_abandoned(engine: Engine, older_than: timedelta, now: datetime | None = None) -> list[int]:
    """Requests left `running` by a run that died (no update for `older_than`): failed, and
    their units released, each exactly once (the state change is the claim)."""
    now = now or clock.now()
    with engine.begin() as conn:
        done = LOOKUPS.sweep_stale(
            conn,
            RequestState.FAILED,
            older_than,
            updated_at=now,
            progress=100,
            finished_at=now,
            error="the lookup run stopped before it finished; its units were released",
        )
        for row in conn.execute(select(r.units_day, r.units_reserved).where(r.id.in_(done))):
            release(conn, row.units_day, row.units_reserved)
    return done
