"""The HTTP service (`folio serve`): POST /listings, GET /listings/{id}, POST /lookups,
GET /lookups/{id}, GET /leads, GET /leads/{id}, POST /reports, GET /reports/{id},
GET /health, and the links emails carry (/l/, /c/, /o/, /u/ in pipelines/http/pages.py;
/r/ in pipelines/http/reports.py).

Every listing request names its tenant by API key (`X-API-Key`, from `folio tenants
add`); a listing of another tenant is a 404, exactly like one that does not exist.
Validation is the same pydantic model the file intake uses, so a bad field gets a 422
naming it. Re-posting the same external_id updates (200) instead of duplicating (201).
"""

from __future__ import annotations

import json
from typing import Annotated

from fastapi import FastAPI, HTTPException, Path, Request, Response
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from pipelines.db.engine import ping
from pipelines.http.admin import router as admin_router
from pipelines.http.auth import Tenant, engine
from pipelines.http.billing import router as billing_router
from pipelines.http.leads import router as leads_router
from pipelines.http.lookups import router as lookups_router
from pipelines.http.outreach import router as outreach_router
from pipelines.http.pages import router as pages_router
from pipelines.http.reports import router as reports_router
from pipelines.listings.model import ListingIn
from pipelines.listings.store import save_listings
from pipelines.listings.views import listing_view
from pipelines.settings import get_settings

MAX_ID = 2**31 - 1  # ids are INTEGER columns: a larger one names nothing

app = FastAPI(title="Folio intake", version="1")
app.include_router(lookups_router)
app.include_router(leads_router)
app.include_router(pages_router)
app.include_router(reports_router)
app.include_router(outreach_router)
app.include_router(admin_router)
app.include_router(billing_router)


MAX_BODY_BYTES = 1_000_000  # one listing is a few hundred bytes; a file goes to the inbox


@app.middleware("http")
async def refuse_large_bodies(request: Request, call_next):
    size = request.headers.get("content-length")
    if size and size.isdigit() and int(size) > MAX_BODY_BYTES:
        limit = f"{MAX_BODY_BYTES:,}-byte limit"
        detail = f"request body of {int(size):,} bytes is over the {limit}"
        return JSONResponse(status_code=413, content={"detail": detail})
    return await call_next(request)


@app.exception_handler(RequestValidationError)
def per_field_errors(_request: Request, exc: RequestValidationError) -> JSONResponse:
    """422 with one entry per bad field, as FastAPI answers; an input JSON cannot carry back
    (NaN, Infinity) is echoed as text instead of turning the answer into a 500."""
    return JSONResponse(status_code=422, content={"detail": [_json_safe(e) for e in exc.errors()]})


def _json_safe(error: dict) -> dict:
    error = jsonable_encoder(error)
    try:
        json.dumps(error, allow_nan=False)
    except ValueError:
        error = {**error, "input": repr(error.get("input"))}
        error.pop("ctx", None)
    return error


@app.get("/health")
def health(response: Response) -> dict:
    error = ping(get_settings().resolved_database_url)
    if error:
        response.status_code = 503
        return {"status": "unhealthy", "database": error}
    return {"status": "ok", "database": "ok"}


@app.post("/listings", status_code=201)
def post_listing(listing: ListingIn, response: Response, who: Tenant) -> dict:
    if listing.tenant_id not in (None, who["slug"], str(who["id"])):
        raise HTTPException(
            status_code=422,
            detail=[
                {
                    "loc": ["body", "tenant_id"],
                    "type": "value_error",
                    "msg": f"tenant_id {listing.tenant_id!r} is not your tenant",
                }
            ],
        )
    with engine().begin() as conn:
        result = save_listings(conn, who, [(None, listing)], "http")
    status = result.status[listing.external_id]
    if status != "created":
        response.status_code = 200
    return {
        "id": result.ids[listing.external_id],
        "external_id": listing.external_id,
        "status": status,
    }


@app.get("/listings/{listing_id}")
def get_listing(listing_id: Annotated[int, Path(ge=1, le=MAX_ID)], who: Tenant) -> dict:
    body = listing_view(engine(), who["id"], listing_id)
    if body is None:
        raise HTTPException(status_code=404, detail=f"no listing {listing_id}")
    return body
