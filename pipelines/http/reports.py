"""Reports over HTTP: `POST /reports` (202: queued), `GET /reports/{id}` (poll: state,
progress, and once ready a signed download URL, sha256 and size), and `GET /r/<token>`, the
download link the `report_ready` email carries (signed, expiring; no API key)."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, HTTPException
from fastapi import Path as PathParam
from fastapi.responses import FileResponse
from starlette.background import BackgroundTask

from pipelines.http.auth import Tenant, engine
from pipelines.http.pages import html
from pipelines.http.schemas import (
    INVALID,
    TENANT_KEY,
    TOO_LARGE,
    ReportQueued,
    ReportRequest,
    not_found,
)
from pipelines.notify.links import BadLink, make_token, read_token, url
from pipelines.reports.requests import ReportRequestIn, RequestRefused, request_report, request_view
from pipelines.reports.store import MEDIA_TYPES, fetch_report
from pipelines.workqueue import ReportState

router = APIRouter(tags=["reports"])


def _with_link(view: dict, who: dict) -> dict:
    if view["state"] == "ready":
        view["url"] = url("r", make_token("report", view["report_id"], 0, who["id"]))
    else:
        view["url"] = None
    return view


@router.post(
    "/reports",
    status_code=202,
    response_model=ReportQueued,
    responses={**TENANT_KEY, **TOO_LARGE, **INVALID},
)
def post_report(ask: ReportRequestIn, who: Tenant) -> dict:
    try:
        request_id = request_report(engine(), who["id"], ask)
    except RequestRefused as exc:
        detail = [{"loc": ["body", exc.field], "type": "value_error", "msg": str(exc)}]
        raise HTTPException(status_code=422, detail=detail) from None
    return {"id": request_id, "state": ReportState.QUEUED.value}


@router.get(
    "/reports/{request_id}",
    response_model=ReportRequest,
    responses={**TENANT_KEY, **not_found("report request")},
)
def get_report(request_id: Annotated[int, PathParam(ge=1, le=2**31 - 1)], who: Tenant) -> dict:
    view = request_view(engine(), who["id"], request_id)
    if view is None:
        raise HTTPException(status_code=404, detail=f"no report request {request_id}")
    return _with_link(view, who)


# The link in the report_ready email, opened by a browser (signed token, no key): outside
# /openapi.json like the other email links (pipelines/http/pages.py).
@router.get("/r/{token}", include_in_schema=False, response_class=FileResponse)
def download(token: str):
    try:
        link = read_token(token)
    except BadLink as exc:
        return html(403, title="Link not valid", error=str(exc))
    if link.kind != "report":
        return html(403, title="Link not valid", error="this link does not open a report")
    folder = Path(tempfile.mkdtemp(prefix="folio-report-"))
    dest = folder / "report"
    row = fetch_report(engine(), link.item_id, link.tenant_id, dest)
    if row is None:
        return html(404, title="Report not found", error="this report is no longer available")
    name = f"folio-{row['kind']}-{row['id']}.{row['format']}"
    return FileResponse(
        dest,
        media_type=MEDIA_TYPES[row["format"]],
        filename=name,
        background=BackgroundTask(_remove, folder),
    )


def _remove(folder: Path) -> None:
    for f in folder.iterdir():
        f.unlink()
    folder.rmdir()
