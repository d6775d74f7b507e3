"""The HTTP service (`folio serve`): POST /listings, GET /listings/{id}, POST /lookups,
GET /lookups/{id}, GET /leads, GET /leads/{id}, POST /reports, GET /reports/{id},
GET /health, and the links emails carry (/l/, /c/, /o/, /u/ in pipelines/http/pages.py;
/r/ in pipelines/http/reports.py).

`/openapi.json` documents every API route (response models in pipelines/http/schemas.py,
the key each needs from pipelines/http/auth.py); `/docs` shows it with the Swagger UI files
vendored under pipelines/http/static/swagger-ui (no CDN). ReDoc is off.

Every listing request names its tenant by API key (`X-API-Key`, from `folio tenants
add`); a listing of another tenant is a 404, exactly like one that does not exist.
Validation is the same pydantic model the file intake uses, so a bad field gets a 422
naming it. Re-posting the same external_id updates (200) instead of duplicating (201).
"""

from __future__ import annotations

import json
import pathlib
from typing import Annotated

from fastapi import FastAPI, HTTPException, Path, Request, Response
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse, JSONResponse
from fastapi.staticfiles import StaticFiles
from starlette.datastructures import Headers

from pipelines.db.engine import ping
from pipelines.digits import is_ascii_digits
from pipelines.http.admin import router as admin_router
from pipelines.http.auth import Tenant, engine
from pipelines.http.billing import router as billing_router
from pipelines.http.leads import router as leads_router
from pipelines.http.lookups import router as lookups_router
from pipelines.http.outreach import router as outreach_router
from pipelines.http.pages import router as pages_router
from pipelines.http.reports import router as reports_router
from pipelines.http.schemas import INVALID, TENANT_KEY, TOO_LARGE, Health, Listing, ListingSaved
from pipelines.http.schemas import not_found as _not_found
from pipelines.http.verify import router as verify_router
from pipelines.listings.model import ListingIn
from pipelines.listings.store import save_listings
from pipelines.listings.views import listing_view
from pipelines.settings import get_settings

MAX_ID = 2**31 - 1  # ids are INTEGER columns: a larger one names nothing

STATIC = pathlib.Path(__file__).with_name("static")
SWAGGER_UI = "/static/swagger-ui"

app = FastAPI(title="Folio intake", version="1", docs_url=None, redoc_url=None)
app.mount("/static", StaticFiles(directory=STATIC), name="static")
app.include_router(lookups_router)
app.include_router(leads_router)
app.include_router(pages_router)
app.include_router(reports_router)
app.include_router(outreach_router)
app.include_router(admin_router)
app.include_router(billing_router)
app.include_router(verify_router)


MAX_BODY_BYTES = 1_000_000  # one listing is a few hundred bytes; a file goes to the inbox


class RequestGuard:
    """Every request body is read here first, counted as it arrives, then handed on whole.

    Over MAX_BODY_BYTES is a 413 however the body is framed: a declared Content-Length is
    refused before reading, a chunked one once the count passes the limit (reading stops
    there). A JSON body carrying a lone surrogate (`"\\ud800"`, or those bytes raw) is a 422
    naming the field: Python's JSON reader lets it through, but it is not text, and the
    database or the JSON answer would fail on it with a 500."""

    def __init__(self, app, limit: int = MAX_BODY_BYTES) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        declared = headers.get("content-length", "")
        if is_ascii_digits(declared) and int(declared) > self.limit:
            await _too_large(int(declared), self.limit)(scope, receive, send)
            return
        body = bytearray()
        more = True
        while more:
            message = await receive()
            if message["type"] == "http.disconnect":
                return  # the client went away: nobody to answer
            body += message.get("body", b"")
            more = message.get("more_body", False)
            if len(body) > self.limit:
                await _too_large(None, self.limit)(scope, receive, send)
                return
        if body and _is_json(headers.get("content-type")) and (bad := lone_surrogate(body)):
            await bad(scope, receive, send)
            return
        replayed = False

        async def replay():
            nonlocal replayed
            if replayed:
                return await receive()  # after the body: the disconnect, when it comes
            replayed = True
            return {"type": "http.request", "body": bytes(body), "more_body": False}

        await self.app(scope, replay, send)


def _too_large(size: int | None, limit: int) -> JSONResponse:
    what = f"request body of {size:,} bytes" if size is not None else "request body"
    detail = f"{what} is over the {limit:,}-byte limit"
    # Closing the connection is what stops the reading: kept open, the server would have to
    # read and throw away the rest to find the next request.
    return JSONResponse(
        status_code=413, content={"detail": detail}, headers={"Connection": "close"}
    )


def _is_json(content_type: str | None) -> bool:
    # What FastAPI parses as JSON (no type at all included: a client may leave it out).
    kind = (content_type or "application/json").split(";")[0].strip().lower()
    return kind == "application/json" or (
        kind.startswith("application/") and kind.endswith("+json")
    )


def lone_surrogate(body: bytes) -> JSONResponse | None:
    """A 422 naming where in the JSON `body` the first lone surrogate is, or None. (A body
    that is not JSON is left to the route, which says so.)"""
    try:
        doc = json.loads(body)  # as FastAPI reads it: raw surrogate bytes decode too
    except (ValueError, RecursionError):
        return None
    stack: list[tuple[list, object]] = [([], doc)]
    while stack:  # no recursion: any depth json.loads accepted is walked
        path, value = stack.pop()
        if isinstance(value, dict):
            for key, item in reversed(value.items()):
                if (found := _surrogate(key)) is not None:
                    return _not_text([*path, _shown(key)], found)
                stack.append(([*path, key], item))
        elif isinstance(value, list):
            stack.extend(([*path, n], item) for n, item in reversed(list(enumerate(value))))
        elif isinstance(value, str) and (found := _surrogate(value)) is not None:
            return _not_text(path, found)
    return None


def _surrogate(text: str) -> str | None:
    # json.loads joins a valid pair into one character: a surrogate left is a lone one.
    return next((ch for ch in text if "\ud800" <= ch <= "\udfff"), None)


def _shown(key: str) -> str:
    return key.encode("utf-8", "backslashreplace").decode("utf-8")


def _not_text(path: list, ch: str) -> JSONResponse:
    error = {
        "type": "string_unicode",
        "loc": ["body", *path],
        "msg": f"contains a lone surrogate (U+{ord(ch):04X}), which is not text",
    }
    return JSONResponse(status_code=422, content={"detail": [error]})


app.add_middleware(RequestGuard)


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


@app.get("/docs", include_in_schema=False)
def docs() -> HTMLResponse:
    """Swagger UI from the vendored files: the page loads nothing from another host."""
    return get_swagger_ui_html(
        openapi_url=app.openapi_url,
        title=f"{app.title} - API",
        swagger_js_url=f"{SWAGGER_UI}/swagger-ui-bundle.js",
        swagger_css_url=f"{SWAGGER_UI}/swagger-ui.css",
        swagger_favicon_url=f"{SWAGGER_UI}/favicon-32x32.png",
        # No validator badge: it would send the document to validator.swagger.io.
        swagger_ui_parameters={"validatorUrl": None},
    )


@app.get(
    "/health",
    tags=["health"],
    response_model=Health,
    responses={503: {"model": Health, "description": "the database cannot be reached"}},
)
def health(response: Response) -> dict:
    error = ping(get_settings().resolved_database_url)
    if error:
        response.status_code = 503
        return {"status": "unhealthy", "database": error}
    return {"status": "ok", "database": "ok"}


@app.post(
    "/listings",
    tags=["listings"],
    status_code=201,
    response_model=ListingSaved,
    responses={
        200: {"model": ListingSaved, "description": "the same external_id again: updated"},
        **TENANT_KEY,
        **TOO_LARGE,
        **INVALID,
    },
)
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


@app.get(
    "/listings/{listing_id}",
    tags=["listings"],
    response_model=Listing,
    responses={**TENANT_KEY, **_not_found("listing")},
)
def get_listing(listing_id: Annotated[int, Path(ge=1, le=MAX_ID)], who: Tenant) -> dict:
    body = listing_view(engine(), who["id"], listing_id)
    if body is None:
        raise HTTPException(status_code=404, detail=f"no listing {listing_id}")
    return body
