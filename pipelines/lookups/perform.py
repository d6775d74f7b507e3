"""Performing a queued lookup: call the records API within its retry budget, log every call,
settle or release the reserved units, and merge what the county returned into `properties`
through the same parser and merge rule as the bulk files (one code path)."""

from __future__ import annotations

import hashlib
import json
import logging
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Connection, Engine, select
from tenacity import retry_if_exception

from pipelines import clock
from pipelines.county.merge import merge_properties
from pipelines.county.parse import parse_bytes
from pipelines.county.staging import stage_source_file
from pipelines.db.schema import lookup_requests, records_api_log, staged_lookup_records
from pipelines.db.schema.layouts import FileLayout, get_layout
from pipelines.lookups.balance import alert_on_balance
from pipelines.lookups.client import ApiAnswer, RecordsApiClient, RecordsApiError
from pipelines.lookups.query import LookupQuery
from pipelines.lookups.requests import LOOKUPS, property_view, resolve_folio, set_state
from pipelines.lookups.units import charge, county_day, release, settle
from pipelines.redaction import redact
from pipelines.retries import retrying
from pipelines.settings import RETRY_BUDGETS, Settings
from pipelines.workqueue import RequestState

logger = logging.getLogger(__name__)

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
    client: RecordsApiClient,
    req: dict,
    attempt: int,
    got: ApiAnswer | None,
    error: RecordsApiError | None,
    units: int | None,
    warnings: list[str],
    ms: int,
    now: datetime,
) -> int:
    """The call's row: what the county said (redacted) and what the call was charged, with
    any warning about what the county sent after the error, if any."""
    row = {
        "request_id": req["id"],
        "tenant_id": req["tenant_id"],
        "query_kind": req["query_kind"],
        "attempt": attempt,
        "duration_ms": ms,
        "created_at": now,
    }
    if got is not None:
        row.update(
            status=got.status[:20],
            status_desc=client.redact(got.status_desc),
            units_consumed=units,
            units_balance=got.units_balance,
            records=len(got.records),
            http_status=got.http_status,
        )
    notes = ([str(error)] if error is not None else []) + [f"warning: {w}" for w in warnings]
    if notes:
        row["error"] = redact("; ".join(notes))
    if error is not None:
        row["http_status"] = error.http_status or row.get("http_status")
    with engine.begin() as conn:
        return conn.execute(records_api_log.insert().values(**row)).inserted_primary_key[0]


def _claim(engine: Engine, request_id: int) -> dict | None:
    with engine.begin() as conn:
        if not LOOKUPS.claim(conn, request_id, progress=10):
            return None
        return dict(
            conn.execute(select(lookup_requests).where(lookup_requests.c.id == request_id))
            .mappings()
            .one()
        )


@dataclass
class _Charge:
    units: int | None = None  # what the county's answer costs; None: it has not answered


def perform_lookup(
    engine: Engine,
    client: RecordsApiClient,
    request_id: int,
    s: Settings,
    sleep: Callable[[float], None] = time.sleep,
) -> str:
    """Run one queued request to its end (done | failed); returns the state. A request that
    is not queued (already taken by another run) is left alone. Whatever goes wrong once it
    is claimed, it ends `failed` with its units settled (or released, when the county never
    answered) before the error goes on."""
    req = _claim(engine, request_id)
    if req is None:
        with engine.connect() as conn:
            return conn.execute(
                select(lookup_requests.c.state).where(lookup_requests.c.id == request_id)
            ).scalar()
    charged = _Charge()
    try:
        return str(_perform(engine, client, req, s, sleep, charged))  # plain: shown in metadata
    except Exception as exc:
        _stop(engine, client, req, charged.units, exc)
        raise


def _transient(exc: BaseException) -> bool:
    """Timeouts and 5xx: worth another call within the "records_api" budget."""
    return isinstance(exc, RecordsApiError) and exc.transient


def _perform(
    engine: Engine,
    client: RecordsApiClient,
    req: dict,
    s: Settings,
    sleep: Callable[[float], None],
    charged: _Charge,
) -> str:
    query = LookupQuery.from_stored(req["query_kind"], req["query_value"])
    budget = RETRY_BUDGETS["records_api"]
    answer, error, call_id = None, None, None
    attempts = retrying(
        budget, retry=retry_if_exception(_transient), sleep=sleep, scale=s.retry_delay_scale
    )
    try:
        for attempt_ in attempts:
            with attempt_:
                attempt = attempt_.retry_state.attempt_number
                with engine.begin() as conn:
                    set_state(conn, req["id"], attempts=attempt, progress=10 + 20 * attempt)
                t0, now = time.perf_counter(), clock.now()
                try:
                    answer, error = client.call(query.api_params()), None
                except RecordsApiError as exc:
                    error = exc
                got, warnings = answer or (error.answer if error else None), []
                if got is not None:
                    charged.units, warning = charge(
                        got.units_consumed, got.consumed_said, req["units_reserved"]
                    )
                    warnings = got.warnings + ([warning] if warning else [])
                for w in warnings:
                    logger.warning(client.redact(f"lookup {req['id']} attempt {attempt}: {w}"))
                ms = int((time.perf_counter() - t0) * 1000)
                call_id = _log(
                    engine, client, req, attempt, got, error, charged.units, warnings, ms, now
                )
                if error is not None:
                    raise error  # a transient one retries within the budget
    except RecordsApiError:
        pass  # the last call's error, logged above: the request fails below
    got = answer or (error.answer if error else None)
    try:
        alert_on_balance(engine, got.units_balance if got else None, clock.now(), s)
    except Exception as exc:  # noqa: BLE001 - an alert that cannot go out never fails a lookup
        logger.warning(redact(f"records API balance alert not sent: {type(exc).__name__}: {exc}"))
    if answer is None:
        _finish_failed(engine, req, charged.units, str(error))
        return RequestState.FAILED
    return _finish_done(engine, req, query, answer, charged.units, call_id, s)


def _end(conn: Connection, req: dict, units: int | None, to: RequestState, **values) -> bool:
    """The running request's final state, and its reservation settled to `units` (released
    when None), in the caller's transaction; True when this call ended it. A request the
    abandoned-request sweep ended meanwhile already had its reservation released: only
    what the county charged is added."""
    taken = LOOKUPS.move(conn, req["id"], to, from_=RequestState.RUNNING, **values)
    if taken:
        if units is None:
            release(conn, req["units_day"], req["units_reserved"])
        else:
            settle(conn, req["units_day"], req["units_reserved"], units)
    elif units:
        settle(conn, req["units_day"], 0, units)
    return bool(taken)


def _finish_failed(engine: Engine, req: dict, units: int | None, message: str) -> None:
    """The county answered (an error Status): settle to what it charged. It never answered:
    release the reservation. Either way exactly once, with the final state."""
    with engine.begin() as conn:
        _end(
            conn,
            req,
            units,
            RequestState.FAILED,
            progress=100,
            error=message,
            finished_at=clock.now(),
        )


def _stop(
    engine: Engine, client: RecordsApiClient, req: dict, units: int | None, exc: Exception
) -> None:
    """An unexpected error after the claim: the request fails rather than stay `running`
    with its units held. The tenant sees the error's kind; the log has its (redacted) text."""
    kept = (
        "its units were released" if units is None else "the units the county charged were counted"
    )
    message = f"the lookup stopped on an internal error ({type(exc).__name__}); {kept}"
    logger.error(client.redact(f"lookup {req['id']} stopped: {type(exc).__name__}: {exc}"))
    try:
        _finish_failed(engine, req, units, message)
    except Exception as inner:  # noqa: BLE001 - the sweep of abandoned requests ends it later
        logger.error(redact(f"lookup {req['id']} left running: {type(inner).__name__}: {inner}"))


def _finish_done(
    engine: Engine,
    req: dict,
    query: LookupQuery,
    answer: ApiAnswer,
    units: int,
    call_id: int,
    s: Settings,
) -> str:
    layout, now = get_layout("official_records"), clock.now()
    source_file = f"records_api/{call_id}"
    data = record_lines(answer.records, layout) if answer.records else b""
    today = county_day(now, s.timezone)
    parsed = parse_bytes(
        data, layout, source_file, today + timedelta(days=s.future_date_grace_days)
    )
    day_key = today.isoformat()
    with engine.begin() as conn:
        sha = hashlib.sha256(
            json.dumps(answer.records, sort_keys=True, default=str).encode()
        ).hexdigest()
        stage_source_file(conn, layout, staged_lookup_records, day_key, source_file, sha, parsed)
        merge_properties(conn, [day_key], now=now, source_table="staged_lookup_records")
        prop = property_view(conn, resolve_folio(conn, query))
        ended = _end(
            conn,
            req,
            units,
            RequestState.DONE,
            progress=100,
            folio=prop and prop["folio"],
            result=json.dumps(prop) if prop else None,
            finished_at=now,
            error=None if prop else f"the county has no record for {query.kind} {query.value}",
        )
    return RequestState.DONE if ended else RequestState.FAILED
