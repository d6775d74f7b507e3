"""Performing a queued lookup: call the records API within its retry budget, log every call,
settle or release the reserved units, and merge what the county returned into `properties`
through the same parser and merge rule as the bulk files (one code path)."""

from __future__ import annotations

import hashlib
import json
import re
import time
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import Engine, select

from pipelines import clock
from pipelines.county.merge import merge_properties
from pipelines.county.parse import parse_bytes
from pipelines.county.staging import stage_source_file
from pipelines.db.schema import lookup_requests, records_api_log, staged_lookup_records
from pipelines.db.schema.layouts import FileLayout, get_layout
from pipelines.lookups.balance import alert_on_balance
from pipelines.lookups.client import ApiAnswer, RecordsApiClient, RecordsApiError
from pipelines.lookups.query import LookupQuery
from pipelines.lookups.requests import property_view, resolve_folio, set_state
from pipelines.lookups.units import county_day, release, settle
from pipelines.settings import RETRY_BUDGETS, Settings

LAYOUT_KEY = re.compile(r"[^a-z0-9]")


def _key(name: str) -> str:
    return LAYOUT_KEY.sub("", name.lower())


def record_lines(records: list[dict], layout: FileLayout) -> bytes:
    """The API's records as OfficialRecords file lines, so they are parsed exactly as the bulk
    file is. Field names match the layout's columns whatever their case or underscores
    (`REC_DATE`, `recDate`, `rec_date`); a caret or line break inside a value becomes a space."""
    lines = []
    for record in records:
        by_key = {_key(k): v for k, v in record.items()}
        values = ("" if (v := by_key.get(_key(c.name))) is None else str(v) for c in layout.columns)
        lines.append("^".join(re.sub(r"[\^\r\n]", " ", v) for v in values))
    return ("\n".join(lines) + "\n").encode("cp1252", errors="replace")


def _log(
    engine: Engine,
    req: dict,
    attempt: int,
    answer: ApiAnswer | None,
    error: RecordsApiError | None,
    ms: int,
    now: datetime,
) -> int:
    row = {
        "request_id": req["id"],
        "tenant_id": req["tenant_id"],
        "query_kind": req["query_kind"],
        "attempt": attempt,
        "duration_ms": ms,
        "created_at": now,
    }
    got = answer or (error.answer if error else None)
    if got is not None:
        row.update(
            status=got.status,
            status_desc=got.status_desc,
            units_consumed=got.units_consumed,
            units_balance=got.units_balance,
            records=len(got.records),
            http_status=got.http_status,
        )
    if error is not None:
        row.update(error=str(error), http_status=error.http_status or row.get("http_status"))
    with engine.begin() as conn:
        return conn.execute(records_api_log.insert().values(**row)).inserted_primary_key[0]


def _claim(engine: Engine, request_id: int) -> dict | None:
    with engine.begin() as conn:
        taken = conn.execute(
            lookup_requests.update()
            .where(lookup_requests.c.id == request_id, lookup_requests.c.state == "queued")
            .values(state="running", progress=10, updated_at=clock.now())
        ).rowcount
        if not taken:
            return None
        return dict(
            conn.execute(select(lookup_requests).where(lookup_requests.c.id == request_id))
            .mappings()
            .one()
        )


def perform_lookup(
    engine: Engine,
    client: RecordsApiClient,
    request_id: int,
    s: Settings,
    sleep: Callable[[float], None] = time.sleep,
) -> str:
    """Run one queued request to its end (done | failed); returns the state. A request that
    is not queued (already taken by another run) is left alone."""
    req = _claim(engine, request_id)
    if req is None:
        with engine.connect() as conn:
            return conn.execute(
                select(lookup_requests.c.state).where(lookup_requests.c.id == request_id)
            ).scalar()
    query = LookupQuery.from_stored(req["query_kind"], req["query_value"])
    budget = RETRY_BUDGETS["records_api"]
    answer, error, call_id = None, None, None
    for attempt in range(1, budget.max_attempts + 1):
        with engine.begin() as conn:
            set_state(conn, request_id, attempts=attempt, progress=10 + 20 * attempt)
        t0, now = time.perf_counter(), clock.now()
        try:
            answer, error = client.call(query.api_params()), None
        except RecordsApiError as exc:
            error = exc
        call_id = _log(
            engine, req, attempt, answer, error, int((time.perf_counter() - t0) * 1000), now
        )
        if answer is not None or not error.transient or attempt == budget.max_attempts:
            break
        sleep(budget.delay_before(attempt + 1, s.retry_delay_scale))
    charged = answer or (error.answer if error else None)
    alert_on_balance(engine, charged.units_balance if charged else None, clock.now(), s)
    if answer is None:
        _finish_failed(engine, req, charged, str(error))
        return "failed"
    return _finish_done(engine, req, query, answer, call_id, s)


def _finish_failed(engine: Engine, req: dict, charged: ApiAnswer | None, message: str) -> None:
    """The county answered (an error Status): settle to what it says it consumed. It never
    answered: release the reservation. Either way exactly once, with the final state."""
    now = clock.now()
    with engine.begin() as conn:
        if charged is not None and charged.units_consumed is not None:
            settle(conn, req["units_day"], req["units_reserved"], charged.units_consumed)
        else:
            release(conn, req["units_day"], req["units_reserved"])
        set_state(conn, req["id"], state="failed", progress=100, error=message, finished_at=now)


def _finish_done(
    engine: Engine, req: dict, query: LookupQuery, answer: ApiAnswer, call_id: int, s: Settings
) -> str:
    layout, now = get_layout("official_records"), clock.now()
    source_file = f"records_api/{call_id}"
    data = record_lines(answer.records, layout) if answer.records else b""
    today = county_day(now, s.timezone)
    parsed = parse_bytes(
        data, layout, source_file, today + timedelta(days=s.future_date_grace_days)
    )
    day_key = today.isoformat()
    consumed = answer.units_consumed if answer.units_consumed is not None else req["units_reserved"]
    with engine.begin() as conn:
        settle(conn, req["units_day"], req["units_reserved"], consumed)
        sha = hashlib.sha256(
            json.dumps(answer.records, sort_keys=True, default=str).encode()
        ).hexdigest()
        stage_source_file(conn, layout, staged_lookup_records, day_key, source_file, sha, parsed)
        merge_properties(conn, [day_key], now=now, source_table="staged_lookup_records")
        prop = property_view(conn, resolve_folio(conn, query))
        set_state(
            conn,
            req["id"],
            state="done",
            progress=100,
            folio=prop and prop["folio"],
            result=json.dumps(prop) if prop else None,
            finished_at=now,
            error=None if prop else f"the county has no record for {query.kind} {query.value}",
        )
    return "done"
