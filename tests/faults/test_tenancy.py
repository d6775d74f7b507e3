"""Tenant B's key never reads or changes tenant A's rows, on every tenant route. The routes
come from the app's own route table: a new route that takes a key fails this test until it
is given an A-owned object to probe here."""

from datetime import date

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from pipelines.alerts.match import match_leads
from pipelines.db.engine import get_engine
from pipelines.http.app import app
from pipelines.lookups.query import LookupQuery
from pipelines.lookups.requests import request_lookup
from pipelines.settings import get_settings
from tests.lead_helpers import add_leads, add_property, daily
from tests.listing_helpers import listing, tenant_with_subscribers

# Open to anyone, or authenticated by a provider's signature instead of a tenant's key (the
# Twilio and Stripe routes are left out of the OpenAPI table and tested with their providers).
OPEN_ROUTES = {("GET", "/health")}


def tenant_routes() -> list[tuple[str, str]]:
    """Every (method, path) the app serves, from its OpenAPI route table, but the open ones
    and the operators' (tagged admin: they take the admin key, tested in test_admin_api)."""
    paths = app.openapi()["paths"]
    routes = {
        (m.upper(), path)
        for path, methods in paths.items()
        for m, op in methods.items()
        if "admin" not in op.get("tags", [])
    }
    return sorted(routes - OPEN_ROUTES)


@pytest.fixture
def two_tenants(sqlite_url, monkeypatch):
    monkeypatch.setenv("FOLIO_DATABASE_URL", sqlite_url)
    monkeypatch.setenv("FOLIO_RECORDS_API_URL", "http://records.invalid")
    a, _, key_a = tenant_with_subscribers(sqlite_url, "tenant-a", [{"lead_types": ["lien"]}])
    _, _, key_b = tenant_with_subscribers(sqlite_url, "tenant-b", [])
    add_property(sqlite_url, "3040120010020")  # not the looked-up folio (that would be cached)
    day = date(2026, 11, 20)
    (lead_id,) = add_leads(sqlite_url, [("lien", 80, day, daily(day))], folio="3040120010020")
    match_leads(get_engine(sqlite_url), today=day)  # the lead matched A's subscriber only
    client = TestClient(app)
    listing_id = client.post(
        "/listings", json=listing("A-OWNED"), headers={"X-API-Key": key_a}
    ).json()["id"]
    lookup_id = request_lookup(
        get_engine(sqlite_url), a["id"], LookupQuery(folio="3040120010010"), get_settings()
    ).request_id
    report_id = client.post(
        "/reports",
        json={"kind": "listing", "format": "pdf", "listing_id": listing_id},
        headers={"X-API-Key": key_a},
    ).json()["id"]
    from pipelines.billing.ledger import grant
    from pipelines.outreach.requests import OutreachIn, request_outreach

    grant(get_engine(sqlite_url), a["id"], 100, "a-tokens")
    client.put(
        f"/leads/{lead_id}/contact",
        json={"phone": "+13055550177", "name": "A-OWNED"},
        headers={"X-API-Key": key_a},
    )
    outreach_id = request_outreach(
        get_engine(sqlite_url), a["id"], OutreachIn(channel="sms", subscriber_id=1, lead_id=lead_id)
    )["id"]
    ids = {
        "db": sqlite_url,
        "outreach_id": outreach_id,
        "listing_id": listing_id,
        "request_id": lookup_id,
        "lead_id": lead_id,
        "report_id": report_id,
    }
    return client, key_a, key_b, ids


# What B tries on each route against A's objects, and what must hold afterwards.
PROBES = {
    ("GET", "/tokens"): lambda c, h, ids: c.get("/tokens", headers=h),
    ("GET", "/outreach"): lambda c, h, ids: c.get("/outreach", headers=h),
    ("GET", "/outreach/{request_id}"): lambda c, h, ids: c.get(
        f"/outreach/{ids['outreach_id']}", headers=h
    ),
    ("POST", "/outreach"): lambda c, h, ids: c.post(
        "/outreach",
        json={"channel": "sms", "subscriber_id": 1, "lead_id": ids["lead_id"]},
        headers=h,
    ),
    ("PUT", "/leads/{lead_id}/contact"): lambda c, h, ids: c.put(
        f"/leads/{ids['lead_id']}/contact", json={"phone": "+13055550199"}, headers=h
    ),
    ("GET", "/reports/{request_id}"): lambda c, h, ids: c.get(
        f"/reports/{ids['report_id']}", headers=h
    ),
    ("POST", "/reports"): lambda c, h, ids: c.post(
        "/reports",
        json={"kind": "listing", "format": "pdf", "listing_id": ids["listing_id"]},
        headers=h,
    ),
    ("GET", "/leads"): lambda c, h, ids: c.get("/leads", headers=h),
    ("GET", "/leads/{lead_id}"): lambda c, h, ids: c.get(f"/leads/{ids['lead_id']}", headers=h),
    ("GET", "/listings/{listing_id}"): lambda c, h, ids: c.get(
        f"/listings/{ids['listing_id']}", headers=h
    ),
    ("GET", "/lookups/{request_id}"): lambda c, h, ids: c.get(
        f"/lookups/{ids['request_id']}", headers=h
    ),
    ("POST", "/listings"): lambda c, h, ids: c.post(
        "/listings", json={**listing("A-OWNED"), "tenant_id": "tenant-a", "price": 1}, headers=h
    ),
    ("POST", "/lookups"): lambda c, h, ids: c.post(
        "/lookups", json={"folio": "3040120010010"}, headers=h
    ),
    ("POST", "/verify"): lambda c, h, ids: c.post("/verify", json={"subscriber_id": 1}, headers=h),
    ("POST", "/verify/check"): lambda c, h, ids: c.post(
        "/verify/check", json={"subscriber_id": 1, "code": "123456"}, headers=h
    ),
}


def test_every_tenant_route_is_probed():
    assert tenant_routes() == sorted(PROBES)


@pytest.mark.parametrize("route", sorted(PROBES))
def test_tenant_b_never_sees_or_changes_tenant_a(two_tenants, route):
    client, key_a, key_b, ids = two_tenants
    before = client.get(f"/listings/{ids['listing_id']}", headers={"X-API-Key": key_a}).json()
    answer = PROBES[route](client, {"X-API-Key": key_b}, ids)
    assert "A-OWNED" not in answer.text or route == ("POST", "/listings")
    if route == ("GET", "/leads"):  # a list: B's own (none), never A's lead
        assert answer.status_code == 200 and answer.json() == {"leads": [], "count": 0}
    elif route == ("GET", "/outreach"):  # B's own (none), never A's request
        assert answer.status_code == 200 and answer.json() == {"outreach": [], "count": 0}
    elif route == ("GET", "/tokens"):  # B's own balance (none), never A's 100
        assert answer.json() == {"available": 0, "reserved": 0, "expiring_soon": []}
    elif route[0] == "GET":
        assert answer.status_code == 404
    if route == ("POST", "/listings"):  # naming A's tenant with B's key is refused
        assert answer.status_code == 422 and "is not your tenant" in answer.text
    if route == ("POST", "/reports"):  # a report of A's listing is refused, naming the field
        assert answer.status_code == 422 and answer.json()["detail"][0]["loc"][-1] == "listing_id"
    if route == ("POST", "/outreach"):  # A's subscriber and A's lead: refused, naming the field
        assert (
            answer.status_code == 422 and answer.json()["detail"][0]["loc"][-1] == "subscriber_id"
        )
    if route == ("PUT", "/leads/{lead_id}/contact"):  # not B's lead: A's phone stays
        assert answer.status_code == 404
    if route[1].startswith("/verify"):  # A's subscriber: as if it did not exist
        assert answer.status_code == 404
    if route == ("POST", "/lookups"):  # B's own request, never A's
        assert answer.json()["id"] != ids["request_id"]
    after = client.get(f"/listings/{ids['listing_id']}", headers={"X-API-Key": key_a}).json()
    assert after == before
    with get_engine(
        ids["db"]
    ).connect() as conn:  # A's phone on A's lead, A's outreach: as they were
        assert conn.execute(text("SELECT tenant_id, phone FROM lead_contacts")).all() == [
            (1, "+13055550177")
        ]
        assert conn.execute(text("SELECT count(*) FROM outreach_requests")).scalar() == 1
    assert (
        client.get(f"/lookups/{ids['request_id']}", headers={"X-API-Key": key_a}).status_code == 200
    )
    assert PROBES[route](client, {}, ids).status_code == 401  # and no key at all: no answer
