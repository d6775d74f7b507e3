"""`POST /lookups` and `GET /lookups/{id}`: on-demand property lookups (docs/domain.md#lookups).

200 `{source: "cache", property}` when our data is fresh; 202 `{id, state: "queued"}` when
the records API must be asked (the lookup job answers it); 429 when today's unit cap is used
up, with the reason and when it resets; 422 naming the field. `?wait=N` (at most 30) holds
the answer until the lookup is done or N seconds pass.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, HTTPException, Path, Query, Response
from fastapi.responses import JSONResponse

from pipelines import clock
from pipelines.http.auth import Tenant, engine
from pipelines.http.schemas import (
    INVALID,
    TENANT_KEY,
    TOO_LARGE,
    Lookup,
    LookupAnswered,
    LookupCached,
    LookupQueued,
    LookupRefused,
    Problem,
    not_found,
)
from pipelines.lookups.query import LookupQuery
from pipelines.lookups.requests import request_lookup, request_view, wait_for
from pipelines.settings import get_settings
from pipelines.workqueue import RequestState

router = APIRouter(tags=["lookups"])


@router.post(
    "/lookups",
    status_code=202,
    response_model=LookupCached | LookupAnswered | Lookup | LookupQueued,
    responses={
        200: {
            "model": LookupCached | LookupAnswered,
            "description": "from our data (`source: cache`), or answered within `?wait=`",
        },
        # 202's schema is the response model's: {id, state: queued}, or with `?wait=` the
        # request as it stands (a second "model" here would be appended to it, not replace it)
        202: {"description": "queued for the records API (with `?wait=`: the request so far)"},
        **TENANT_KEY,
        **TOO_LARGE,
        **INVALID,
        429: {
            "model": LookupRefused,
            "description": "today's records-API unit cap is used up (Retry-After)",
        },
        503: {"model": Problem, "description": "no records API is configured"},
    },
)
def post_lookup(
    query: LookupQuery,
    response: Response,
    who: Tenant,
    wait: int = Query(0, ge=0, le=30, description="seconds to hold the answer"),
):
    s = get_settings()
    answer = request_lookup(engine(), who["id"], query, s)
    if answer.outcome == "cache":
        response.status_code = 200
        return {"source": "cache", "property": answer.property}
    if answer.outcome == "unavailable":
        raise HTTPException(status_code=503, detail=answer.reason)
    if answer.outcome == "refused":
        return JSONResponse(
            status_code=429,
            content={
                "id": answer.request_id,
                "state": RequestState.REFUSED.value,
                "detail": answer.reason,
                "resets_at": answer.resets_at.isoformat(),
            },
            headers={"Retry-After": str(_seconds_until(answer.resets_at))},
        )
    view = {"id": answer.request_id, "state": RequestState.QUEUED.value}
    if wait:
        view = wait_for(
            engine(), who["id"], answer.request_id, min(wait, s.lookup_wait_max_seconds)
        )
        if view["state"] in (RequestState.DONE, RequestState.FAILED):
            response.status_code = 200
            return {"source": "records_api", **view, "property": view["result"]}
    return view


@router.get(
    "/lookups/{request_id}",
    response_model=Lookup,
    responses={**TENANT_KEY, **not_found("lookup")},
)
def get_lookup(request_id: Annotated[int, Path(ge=1, le=2**31 - 1)], who: Tenant) -> dict:
    view = request_view(engine(), who["id"], request_id)
    if view is None:
        raise HTTPException(status_code=404, detail=f"no lookup {request_id}")
    return view


def _seconds_until(when: datetime) -> int:
    return max(1, int((when - clock.now()).total_seconds()))
