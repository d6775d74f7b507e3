"""Report requests: a client asks (`POST /reports`, `folio reports request`), a run builds it,
the client polls (`GET /reports/{id}`) and the subscriber named gets a `report_ready` email.

A request moves `queued → building → ready | failed`. A report that cannot be built for a
reason retrying cannot fix (no such listing, not scored yet) fails at once with that reason;
any other error is recorded and the run's retry (2 attempts, 5 s apart) builds it again; the
last attempt's error stays on the request. Asking again makes a new request.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator
from sqlalchemy import Engine, select, update

from pipelines import clock
from pipelines.db.schema import listings, report_requests, reports, subscribers
from pipelines.kinds import LeadType
from pipelines.notify.queue import queue_report_ready
from pipelines.reports.exports import leads_frame, to_csv, to_xlsx
from pipelines.reports.listing_report import ReportError, listing_pdf
from pipelines.reports.store import report_store, save_report
from pipelines.workqueue import REPORT_MOVES, ReportState, WorkQueue


class ReportRequestIn(BaseModel):
    """What a client may ask for; a bad field is refused with its name."""

    model_config = ConfigDict(extra="forbid")

    kind: Literal["listing", "leads_export"]
    format: Literal["pdf", "csv", "xlsx"]
    listing_id: int | None = Field(default=None, ge=1, le=2**31 - 1)
    since: date | None = None
    type: LeadType | None = None
    subscriber_id: int | None = Field(default=None, ge=1, le=2**31 - 1)

    @model_validator(mode="after")
    def _fits_kind(self):
        if self.kind == "listing":
            if self.listing_id is None:
                raise ValueError("listing_id is required for a listing report")
            if self.format != "pdf":
                raise ValueError("a listing report is a pdf")
        elif self.format not in ("csv", "xlsx"):
            raise ValueError("a leads export is csv or xlsx")
        return self

    def params(self) -> dict:
        if self.kind == "listing":
            return {"listing_id": self.listing_id}
        return {"since": self.since.isoformat() if self.since else None, "type": self.type}


class RequestRefused(ValueError):
    """A request naming something the tenant does not own: (field, message)."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field


def _now() -> datetime:
    return clock.now()


def request_report(engine: Engine, tenant_id: int, ask: ReportRequestIn) -> int:
    with engine.begin() as conn:
        for field, table, value in (
            ("listing_id", listings, ask.listing_id),
            ("subscriber_id", subscribers, ask.subscriber_id),
        ):
            owned = select(table.c.id).where(table.c.id == value, table.c.tenant_id == tenant_id)
            if value is not None and conn.execute(owned).first() is None:
                what = field.removesuffix("_id")
                raise RequestRefused(field, f"no {what} {value} in your tenant")
        now = _now()
        return conn.execute(
            report_requests.insert().values(
                tenant_id=tenant_id,
                subscriber_id=ask.subscriber_id,
                kind=ask.kind,
                format=ask.format,
                params=json.dumps(ask.params()),
                state=ReportState.QUEUED,
                progress=0,
                attempts=0,
                created_at=now,
                updated_at=now,
            )
        ).inserted_primary_key[0]


REPORTS = WorkQueue(
    report_requests, ReportState, REPORT_MOVES, ReportState.QUEUED, ReportState.BUILDING
)


def fail_abandoned(engine: Engine, older_than: timedelta) -> list[int]:
    """Requests left `building` longer than any report run may take: their run died. They
    fail with that reason (asking again makes a new request)."""
    with engine.begin() as conn:
        return REPORTS.sweep_stale(
            conn,
            ReportState.FAILED,
            older_than,
            error="its run stopped while building (killed or timed out)",
            finished_at=_now(),
        )


def queued_after(engine: Engine, after_id: int, limit: int = 100) -> list[int]:
    return REPORTS.queued_after(engine, after_id, limit)


@dataclass
class Built:
    request_id: int
    state: str
    report: dict | None = None
    error: str | None = None

    def __post_init__(self):
        self.state = str(self.state)  # a plain string: it is logged and shown as metadata


def _set(engine: Engine, request_id: int, to: ReportState | None = None, **values) -> None:
    """Record progress on the request being built, or move it on from `building`."""
    with engine.begin() as conn:
        if to is None:
            conn.execute(
                update(report_requests)
                .where(report_requests.c.id == request_id)
                .values(updated_at=_now(), **values)
            )
        else:
            REPORTS.move(conn, request_id, to, from_=ReportState.BUILDING, **values)


def build_request(engine: Engine, request_id: int, last_attempt: bool = True) -> Built:
    """Build one request. A ReportError fails it for good; another error is recorded (and the
    request left `queued` for the run's retry unless this is the last attempt), then raised."""
    with engine.begin() as conn:
        row = (
            conn.execute(select(report_requests).where(report_requests.c.id == request_id))
            .mappings()
            .first()
        )
        if row is None:
            raise ReportError(f"no report request {request_id}")
        # The claim is conditional: a replayed run finds the request finished, and a second
        # run of the same request finds it taken, and neither builds it again.
        if not REPORTS.claim(conn, request_id, progress=10, attempts=row["attempts"] + 1):
            rr = report_requests.c
            now = conn.execute(select(rr.state, rr.error).where(rr.id == request_id)).one()
            return Built(request_id, now.state, error=now.error)
    params = json.loads(row["params"])
    try:
        if row["kind"] == "listing":
            data = listing_pdf(engine, row["tenant_id"], params["listing_id"])
        else:
            since = date.fromisoformat(params["since"]) if params.get("since") else None
            frame = leads_frame(engine, row["tenant_id"], since, params.get("type"))
            _set(engine, request_id, progress=60)
            data = to_csv(frame) if row["format"] == "csv" else to_xlsx(frame)
        _set(engine, request_id, progress=80)
        saved = save_report(
            engine, report_store(), row["kind"], row["format"], data, row["tenant_id"]
        )
    except ReportError as exc:
        _set(engine, request_id, ReportState.FAILED, error=str(exc), finished_at=_now())
        return Built(request_id, ReportState.FAILED, error=str(exc))
    except Exception as exc:
        error = f"{type(exc).__name__}: {str(exc)[:300]}"
        if last_attempt:
            _set(engine, request_id, ReportState.FAILED, error=error, finished_at=_now())
        else:
            _set(engine, request_id, ReportState.QUEUED, error=error)
        raise
    _set(
        engine,
        request_id,
        ReportState.READY,
        progress=100,
        report_id=saved["id"],
        error=None,
        finished_at=_now(),
    )
    if row["subscriber_id"] is not None:
        with engine.begin() as conn:
            report = {
                "id": request_id,
                "kind": row["kind"],
                "format": row["format"],
                "report_id": saved["id"],
                "bytes": saved["bytes"],
                "sha256": saved["sha256"],
            }
            queue_report_ready(conn, row["tenant_id"], row["subscriber_id"], request_id, report)
    return Built(request_id, ReportState.READY, saved)


def request_view(engine: Engine, tenant_id: int, request_id: int) -> dict | None:
    """The request as its tenant sees it (another tenant's is None, like a missing one)."""
    joined = select(report_requests, reports.c.sha256, reports.c.bytes).join(
        reports, reports.c.id == report_requests.c.report_id, isouter=True
    )
    row = REPORTS.find(engine, request_id, tenant_id, joined)
    if row is None:
        return None
    return {
        "id": row["id"],
        "kind": row["kind"],
        "format": row["format"],
        "params": json.loads(row["params"]),
        "state": row["state"],
        "progress": row["progress"],
        "attempts": row["attempts"],
        "error": row["error"],
        "report_id": row["report_id"],
        "sha256": row["sha256"],
        "bytes": row["bytes"],
    }
