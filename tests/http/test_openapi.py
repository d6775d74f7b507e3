"""/openapi.json documents every API route, from the app's own route table: a 2xx answer with
a schema, the errors, and the key each route needs (the same dependency that checks it); /docs
is Swagger UI from the vendored files and names no other host. A new route fails here until
it is documented, or listed as deliberately left out (and why)."""

from __future__ import annotations

import base64
import re

import pytest
from fastapi.routing import APIRoute, iter_route_contexts
from fastapi.testclient import TestClient

from pipelines.http.app import app
from pipelines.http.auth import admin, tenant

# Left out of /openapi.json on purpose. Email links: pages a person's browser opens, signed by
# the token in the path, answered with HTML, a redirect or an image. Provider callbacks: only
# Stripe / Twilio call them, signed by the provider (tests/faults/test_tenancy.py reads the
# tenant routes from the OpenAPI table). /docs: the page that shows the table.
HIDDEN = {
    ("GET", "/docs"),
    ("GET", "/l/{token}"),
    ("POST", "/l/{token}/{action}"),
    ("GET", "/c/{token}"),
    ("GET", "/o/{token}.gif"),
    ("GET", "/u/{token}"),
    ("POST", "/u/{token}"),
    ("GET", "/r/{token}"),
    ("POST", "/billing/stripe"),
    ("POST", "/twilio/status"),
    ("POST", "/twilio/inbound"),
}
# Documented, but their answer is a page, not JSON.
HTML = {("GET", "/admin")}
TENANT = [{"TenantKey": []}]
ADMIN = [{"AdminKey": []}, {"AdminBasic": []}]


def _calls(dependant) -> set:
    found = set()
    for dep in dependant.dependencies:
        found.add(dep.call)
        found |= _calls(dep)
    return found


def api_routes() -> list[tuple[str, str, APIRoute]]:
    """(method, path, route) for every route the app serves, included routers' too (the
    static mount is no route)."""
    routes = [
        (method, ctx.path, ctx.original_route)
        for ctx in iter_route_contexts(app.routes)
        if isinstance(ctx.original_route, APIRoute)
        for method in ctx.original_route.methods
    ]
    return sorted(routes, key=lambda r: (r[1], r[0]))


@pytest.fixture(scope="module")
def spec() -> dict:
    return TestClient(app).get("/openapi.json").json()


def test_every_route_is_documented_or_left_out_on_purpose(spec):
    for method, path, route in api_routes():
        documented = method.lower() in spec["paths"].get(path, {})
        if (method, path) in HIDDEN:
            assert not documented and not route.include_in_schema, (method, path)
        else:
            assert documented, f"{method} {path} is missing from /openapi.json"
    listed = {(m.upper(), p) for p, ms in spec["paths"].items() for m in ms}
    assert listed == {(m, p) for m, p, _ in api_routes()} - HIDDEN


def _schema_is_described(schema: dict, spec: dict) -> bool:
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        return bool(spec["components"]["schemas"][name].get("properties"))
    if "anyOf" in schema:
        return all(_schema_is_described(s, spec) for s in schema["anyOf"])
    return bool(schema.get("properties"))


@pytest.mark.parametrize(
    ("method", "path"),
    [(m, p) for m, p, _ in api_routes() if (m, p) not in HIDDEN],
)
def test_every_documented_route_has_a_2xx_schema(spec, method, path):
    op = spec["paths"][path][method.lower()]
    ok = {code: r for code, r in op["responses"].items() if code.startswith("2")}
    assert ok, f"{method} {path}: no 2xx answer documented"
    for code, answer in ok.items():
        content = answer.get("content", {})
        if (method, path) in HTML:
            assert list(content) == ["text/html"], (method, path, code)
            continue
        schema = content.get("application/json", {}).get("schema", {})
        assert _schema_is_described(schema, spec), f"{method} {path} {code}: empty schema"
    for code, answer in op["responses"].items():
        assert answer.get("description"), (method, path, code)
        if code.startswith("4") and code != "422":  # FastAPI documents 422 itself
            schema = answer["content"]["application/json"]["schema"]
            assert _schema_is_described(schema, spec), (method, path, code)


@pytest.mark.parametrize(
    ("method", "path", "route"),
    [r for r in api_routes() if (r[0], r[1]) not in HIDDEN],
    ids=lambda v: v if isinstance(v, str) else "",
)
def test_every_route_declares_the_key_it_checks(spec, method, path, route):
    op = spec["paths"][path][method.lower()]
    calls = _calls(route.dependant)
    if tenant in calls:
        assert op.get("security") == TENANT and "401" in op["responses"]
    elif admin in calls:
        assert op.get("security") == ADMIN and {"401", "503"} <= set(op["responses"])
    else:
        assert "security" not in op, f"{method} {path} declares a key it does not check"


def test_the_security_schemes_are_the_headers_auth_reads(spec):
    schemes = spec["components"]["securitySchemes"]
    assert schemes["TenantKey"] == {
        **schemes["TenantKey"],
        "type": "apiKey",
        "in": "header",
        "name": "X-API-Key",
    }
    assert (schemes["AdminKey"]["in"], schemes["AdminKey"]["name"]) == ("header", "X-Admin-Key")
    assert (schemes["AdminBasic"]["type"], schemes["AdminBasic"]["scheme"]) == ("http", "basic")


def test_docs_page_and_its_vendored_files_are_served_from_here():
    client = TestClient(app)
    page = client.get("/docs")
    assert page.status_code == 200 and "text/html" in page.headers["content-type"]
    assert "cdn" not in page.text.lower() and "https://" not in page.text
    assert "http://" not in page.text
    local = re.findall(r'(?:href|src)="([^"]+)"', page.text)
    assert {u.rsplit("/", 1)[-1] for u in local} == {
        "swagger-ui.css",
        "swagger-ui-bundle.js",
        "favicon-32x32.png",
    }
    for url in local:
        assert url.startswith("/static/swagger-ui/"), url
        got = client.get(url)
        assert got.status_code == 200 and got.content, url
    assert client.get("/static/swagger-ui/swagger-ui-bundle.js").headers["content-type"] in (
        "text/javascript; charset=utf-8",
        "application/javascript",
        "text/javascript",
    )
    assert client.get("/static/swagger-ui/LICENSE").status_code == 200  # kept with the files
    assert client.get("/openapi.json").status_code == 200
    assert client.get("/redoc").status_code == 404  # off: it would load from a CDN


KEY = "admin-key-for-openapi-tests"


def _basic(password: str) -> str:
    return "Basic " + base64.b64encode(f"ops:{password}".encode()).decode()


@pytest.mark.parametrize(
    ("headers", "status"),
    [
        ({}, 401),
        ({"X-Admin-Key": KEY}, 200),
        ({"X-Admin-Key": "wrong"}, 401),
        ({"Authorization": _basic(KEY)}, 200),
        ({"Authorization": _basic("wrong")}, 401),
        # the key header is read first, as before: a malformed Basic header beside a good key
        # is no refusal, and an empty key header is not passed over for the password
        ({"X-Admin-Key": KEY, "Authorization": "Basic !!!"}, 200),
        ({"X-Admin-Key": "", "Authorization": _basic(KEY)}, 401),
        ({"Authorization": "Basic !!!"}, 401),
        ({"Authorization": "Basic " + base64.b64encode(KEY.encode()).decode()}, 401),
    ],
)
def test_the_admin_key_is_checked_as_before(monkeypatch, sqlite_url, headers, status):
    monkeypatch.setenv("FOLIO_DATABASE_URL", sqlite_url)
    monkeypatch.setenv("FOLIO_ADMIN_API_KEY", KEY)
    got = TestClient(app).get("/scheduled", headers=headers)
    assert got.status_code == status, got.text
    if status == 401:
        assert got.json()["detail"].startswith("missing or wrong admin key")
        assert got.headers["WWW-Authenticate"] == 'Basic realm="Folio admin"'


def test_admin_off_is_503_whatever_is_sent(monkeypatch, sqlite_url):
    monkeypatch.setenv("FOLIO_DATABASE_URL", sqlite_url)
    for headers in ({}, {"Authorization": "Basic !!!"}, {"X-Admin-Key": "x"}):
        assert TestClient(app).get("/queues", headers=headers).status_code == 503


@pytest.mark.parametrize("headers", [{}, {"X-API-Key": ""}, {"X-API-Key": "nope"}])
def test_the_tenant_key_is_checked_as_before(monkeypatch, sqlite_url, headers):
    monkeypatch.setenv("FOLIO_DATABASE_URL", sqlite_url)
    got = TestClient(app).get("/tokens", headers=headers)
    assert got.status_code == 401
    assert got.json() == {
        "detail": "missing, unknown or revoked X-API-Key (see `folio tenants key list`)"
    }
