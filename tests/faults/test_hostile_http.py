"""Hostile request bodies, probed on every route the app has (generated from `app.routes`, so
a route added later is probed too):

- a lone surrogate (`"\\ud800"`, or its raw UTF-8-style bytes) in any field of a JSON body is a
  422 naming the field, never a 500 (it is not text: no database or JSON encoder takes it);
- a body over the limit is a 413 however it is framed: a chunked body (no Content-Length) is
  counted while it arrives and the server stops reading at the limit, on a real server.
"""

from __future__ import annotations

import json
from typing import get_args

import httpx
import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from pydantic import BaseModel
from sqlalchemy import select

from pipelines.db.engine import get_engine
from pipelines.db.schema import listings
from pipelines.http.app import MAX_BODY_BYTES, app
from tests.listing_helpers import listing, tenant_with_subscribers
from tests.servers import folio_serve

ADMIN_KEY = "admin-key-for-probes"


def api_routes(routes=None, prefix: str = ""):
    """(path, route) for every API route, through included routers."""
    for route in app.routes if routes is None else routes:
        if isinstance(route, APIRoute):
            yield prefix + route.path, route
        elif hasattr(route, "original_router"):  # an included router
            yield from api_routes(
                route.original_router.routes, prefix + route.include_context.prefix
            )


def _model(annotation) -> type[BaseModel] | None:
    for candidate in (annotation, *get_args(annotation)):
        if isinstance(candidate, type) and issubclass(candidate, BaseModel):
            return candidate
    return None


def json_body_fields(route: APIRoute) -> list[str]:
    """The top-level keys of the route's JSON body: a lone model's fields, else the names of
    its embedded body parameters. Empty: the route takes no JSON body."""
    params = route.dependant.body_params
    if not params or route.body_field is None:
        return []
    if type(params[0].field_info).__name__ in ("Form", "File"):
        return []
    model = _model(params[0].field_info.annotation)
    if len(params) == 1 and not params[0].field_info.embed and model is not None:
        return [f.alias or name for name, f in model.model_fields.items()]
    return [p.alias for p in params]


def concrete(path: str) -> str:
    """A path template with its parameters filled (a route exists for it)."""
    import re

    return re.sub(r"\{[^}]+\}", "1", path)


JSON_ROUTES = [
    (method, path, field)
    for path, route in api_routes()
    for method in sorted(route.methods)
    for field in json_body_fields(route)
]
BODY_ROUTES = sorted(
    {(m, path) for path, route in api_routes() for m in route.methods if m in ("POST", "PUT")}
)


def test_the_probes_cover_the_routes_that_take_bodies():
    """The generated probe lists are what the app serves (a route table walk that found
    nothing would pass every probe vacuously)."""
    assert {(m, p) for m, p, _ in JSON_ROUTES} >= {
        ("POST", "/listings"),
        ("POST", "/lookups"),
        ("POST", "/reports"),
        ("POST", "/outreach"),
        ("PUT", "/leads/{lead_id}/contact"),
        ("POST", "/dlq/{dlq_id}/discard"),
    }
    assert ("POST", "/listings", "address") in JSON_ROUTES
    assert ("POST", "/dlq/{dlq_id}/discard", "why") in JSON_ROUTES
    assert {("POST", "/billing/stripe"), ("POST", "/twilio/inbound"), ("POST", "/listings")} <= set(
        BODY_ROUTES
    )
    assert len(BODY_ROUTES) >= 13


@pytest.fixture
def client(sqlite_url, monkeypatch):
    monkeypatch.setenv("FOLIO_DATABASE_URL", sqlite_url)
    monkeypatch.setenv("FOLIO_ADMIN_API_KEY", ADMIN_KEY)
    _, _, key = tenant_with_subscribers(sqlite_url, "acme", [])
    with TestClient(app, raise_server_exceptions=False) as http:
        http.headers.update(
            {"X-API-Key": key, "X-Admin-Key": ADMIN_KEY, "Content-Type": "application/json"}
        )
        yield http


@pytest.mark.parametrize(("method", "path", "field"), JSON_ROUTES)
def test_a_lone_surrogate_in_any_json_field_is_a_422_naming_it(client, method, path, field):
    for body in (
        f'{{"{field}": "\\ud800"}}',  # the JSON escape
        b'{"%s": "x\xed\xa0\x80"}' % field.encode(),  # the same code point as raw bytes
        f'{{"{field}": ["ok", {{"deeper": "\\udfff"}}]}}',
    ):
        answer = client.request(method, concrete(path), content=body)
        assert answer.status_code == 422, (method, path, answer.status_code, answer.text)
        [error] = answer.json()["detail"]
        assert error["loc"][:2] == ["body", field]
        assert error["type"] == "string_unicode"
        assert "lone surrogate" in error["msg"]


def test_a_lone_surrogate_in_a_whole_listing_is_refused_and_nothing_stored(client, sqlite_url):
    good = listing("S1")
    for field in ("external_id", "address", "city", "zip", "folio", "tenant_id"):
        text = json.dumps({**good, field: "1 MAIN \ud800 ST"})  # json.dumps escapes it
        answer = client.post("/listings", content=text)
        assert answer.status_code == 422, answer.text
        assert answer.json()["detail"] == [
            {
                "type": "string_unicode",
                "loc": ["body", field],
                "msg": "contains a lone surrogate (U+D800), which is not text",
            }
        ]
    key = json.dumps({**good, "\udc80bad": 1})  # in a key: named with the escape
    answer = client.post("/listings", content=key)
    assert answer.status_code == 422 and answer.json()["detail"][0]["loc"] == ["body", "\\udc80bad"]
    with get_engine(sqlite_url).connect() as conn:
        assert conn.execute(select(listings.c.id)).all() == []
    # A surrogate *pair* is an ordinary character (here an emoji): text, accepted.
    emoji = json.dumps({**good, "address": "1 MAIN ST \U0001f3e0"})
    assert "\\ud83c\\udfe0" in emoji
    assert client.post("/listings", content=emoji).status_code == 201


def test_a_declared_oversize_body_is_refused_before_it_is_read(client):
    answer = client.post("/listings", content=b"x" * (MAX_BODY_BYTES + 1))
    assert answer.status_code == 413
    assert answer.json()["detail"] == (
        "request body of 1,000,001 bytes is over the 1,000,000-byte limit"
    )


SENT_TOTAL = 30_000_000
CHUNK = 64 * 1024


def _chunked(counter: list[int], total: int = SENT_TOTAL):
    """A body without a Content-Length (httpx sends a generator chunked), counting what the
    server let us send."""
    block = b" " * CHUNK
    while counter[0] < total:
        part = block[: min(CHUNK, total - counter[0])]
        counter[0] += len(part)
        yield part


def test_a_chunked_oversize_body_is_a_413_on_every_post_and_put_route(sqlite_url, tmp_path):
    """30 MB sent chunked to every POST/PUT route of a real `folio serve`: a 413 each time,
    and the server stops reading at the limit (far less than 30 MB goes through)."""
    _, _, key = tenant_with_subscribers(sqlite_url, "acme", [])
    headers = {"X-API-Key": key, "X-Admin-Key": ADMIN_KEY, "Content-Type": "application/json"}
    with folio_serve(sqlite_url, tmp_path) as url, httpx.Client(base_url=url, timeout=30) as http:
        for method, path in BODY_ROUTES:
            sent = [0]
            answer = http.request(method, concrete(path), content=_chunked(sent), headers=headers)
            assert "content-length" not in answer.request.headers
            assert answer.request.headers["transfer-encoding"] == "chunked"
            assert answer.status_code == 413, (method, path, answer.status_code, answer.text)
            assert answer.json()["detail"] == "request body is over the 1,000,000-byte limit"
            assert sent[0] < SENT_TOTAL // 2, (method, path, sent[0])
        # The server is still up, and a chunked body of exactly the limit is read whole
        # (leading blanks are valid JSON); one byte more is refused.
        body = json.dumps(listing("C1")).encode()
        pad = MAX_BODY_BYTES - len(body)
        exact = http.post("/listings", content=iter([b" " * pad, body]), headers=headers)
        assert exact.status_code == 201, exact.text
        over = http.post("/listings", content=iter([b" " * (pad + 1), body]), headers=headers)
        assert over.status_code == 413
