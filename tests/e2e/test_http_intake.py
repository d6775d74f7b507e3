"""The HTTP intake: 201/200/422/401/404, idempotent re-submission, tenant isolation, and a
real `folio serve` process answering on a loopback port."""

import httpx
import pytest
from fastapi.testclient import TestClient

from pipelines.db.engine import get_engine
from pipelines.http.app import app
from pipelines.listings.scoring import RuleScorer, score_listings
from pipelines.settings import get_settings
from tests.listing_helpers import listing, tenant_with_subscribers
from tests.servers import folio_serve


@pytest.fixture
def client(sqlite_url, monkeypatch):
    monkeypatch.setenv("FOLIO_DATABASE_URL", sqlite_url)
    return TestClient(app)


def test_post_get_and_resubmit(client, sqlite_url):
    _, _, key = tenant_with_subscribers(sqlite_url, "acme", [])
    _, _, other_key = tenant_with_subscribers(sqlite_url, "other", [])
    h = {"X-API-Key": key}
    created = client.post("/listings", json=listing("H1"), headers=h)
    assert created.status_code == 201 and created.json() == {
        "id": 1,
        "external_id": "H1",
        "status": "created",
    }
    same = client.post("/listings", json=listing("H1"), headers=h)
    assert (
        same.status_code == 200 and same.json()["status"] == "unchanged" and same.json()["id"] == 1
    )
    changed = client.post("/listings", json=listing("H1", price=210000), headers=h)
    assert changed.status_code == 200 and changed.json() == {
        "id": 1,
        "external_id": "H1",
        "status": "updated",
    }

    body = client.get("/listings/1", headers=h).json()
    assert (body["external_id"], body["price"], body["score"], body["alerts"]) == (
        "H1",
        210000.0,
        None,
        [],
    )
    score_listings(get_engine(sqlite_url), RuleScorer(), get_settings())
    scored = client.get("/listings/1", headers=h).json()["score"]
    assert scored["scorer"] == "rules" and scored["current"] is True
    assert set(scored["breakdown"]) == {
        "cap_rate",
        "price_per_sqft",
        "age_condition",
        "listing_type",
    }
    # Another tenant's key cannot see it; no key is refused.
    assert client.get("/listings/1", headers={"X-API-Key": other_key}).status_code == 404
    assert client.get("/listings/999", headers=h).status_code == 404
    assert client.get("/listings/1").status_code == 401
    assert (
        client.post(
            "/listings", json=listing("H2"), headers={"X-API-Key": "folio_wrong"}
        ).status_code
        == 401
    )


def test_bad_listing_gets_per_field_errors(client, sqlite_url):
    _, _, key = tenant_with_subscribers(sqlite_url, "acme", [])
    bad = client.post(
        "/listings",
        json=listing("H3", price=-1, zip="331", listing_type="castle"),
        headers={"X-API-Key": key},
    )
    assert bad.status_code == 422
    fields = {tuple(e["loc"]): e["msg"] for e in bad.json()["detail"]}
    assert fields == {
        ("body", "zip"): "Value error, a zip is 5 digits 0-9",
        ("body", "price"): "Input should be greater than 0",
        ("body", "listing_type"): "Input should be 'sale', 'rent', 'auction' or 'foreclosure'",
    }
    wrong_tenant = client.post(
        "/listings", json={**listing("H4"), "tenant_id": "other"}, headers={"X-API-Key": key}
    )
    assert wrong_tenant.status_code == 422 and wrong_tenant.json()["detail"][0]["loc"] == [
        "body",
        "tenant_id",
    ]


def test_folio_serve_answers_on_a_real_port(sqlite_url, tmp_path):
    _, _, key = tenant_with_subscribers(sqlite_url, "acme", [])
    with folio_serve(sqlite_url, tmp_path) as url:
        assert httpx.get(f"{url}/health").json() == {"status": "ok", "database": "ok"}
        posted = httpx.post(f"{url}/listings", json=listing("S1"), headers={"X-API-Key": key})
    assert posted.status_code == 201 and posted.json()["id"] == 1


def test_listed_at_defaults_to_the_time_of_intake_and_a_resend_keeps_it(client, sqlite_url):
    from datetime import datetime, timedelta, timezone

    _, _, key = tenant_with_subscribers(sqlite_url, "acme", [])
    h = {"X-API-Key": key}
    body = {k: v for k, v in listing("N1").items() if k != "listed_at"}
    before = datetime.now(timezone.utc)
    created = client.post("/listings", json=body, headers=h)
    assert created.status_code == 201, created.text
    first = datetime.fromisoformat(client.get("/listings/1", headers=h).json()["listed_at"])
    first = first if first.tzinfo else first.replace(tzinfo=timezone.utc)
    assert before - timedelta(seconds=1) <= first <= datetime.now(timezone.utc)
    again = client.post("/listings", json=body, headers=h)
    assert again.status_code == 200 and again.json()["status"] == "unchanged"
    changed = client.post("/listings", json={**body, "price": 199000}, headers=h)
    assert changed.json()["status"] == "updated"
    kept = client.get("/listings/1", headers=h).json()["listed_at"]
    assert datetime.fromisoformat(kept).replace(tzinfo=None) == first.replace(tzinfo=None)


def test_hostile_requests_get_clear_4xx_never_a_500(client, sqlite_url):
    import json

    _, _, key = tenant_with_subscribers(sqlite_url, "acme", [])
    h = {"X-API-Key": key, "Content-Type": "application/json"}
    for literal in ("NaN", "Infinity", "-Infinity"):
        body = json.dumps({**listing("Z1"), "price": 1}).replace(
            '"price": 1', f'"price": {literal}'
        )
        answer = client.post("/listings", content=body, headers=h)
        assert answer.status_code == 422, answer.text
        [error] = answer.json()["detail"]
        assert (error["loc"], error["msg"]) == (
            ["body", "price"],
            "Value error, must be a finite number",
        )
    assert client.get("/listings/99999999999999999999999", headers=h).status_code == 422
    assert client.get("/lookups/99999999999999999999999", headers=h).status_code == 422
    nul = client.post("/listings", json={**listing("Z2"), "address": "1 MAIN\x00 ST"}, headers=h)
    assert nul.status_code == 422 and "contains a control character (0x00)" in nul.text
    big = client.post("/listings", content=b"x" * 10_000_000, headers=h)
    assert big.status_code == 413
    assert (
        big.json()["detail"] == "request body of 10,000,000 bytes is over the 1,000,000-byte limit"
    )


def test_200_identical_posts_at_once_create_one_listing_once(pg_url, tmp_path):
    from concurrent.futures import ThreadPoolExecutor

    from sqlalchemy import text

    _, _, key = tenant_with_subscribers(pg_url, "acme", [])
    with folio_serve(pg_url, tmp_path) as url:
        with httpx.Client(timeout=30) as http, ThreadPoolExecutor(max_workers=40) as pool:
            answers = list(
                pool.map(
                    lambda _: http.post(
                        f"{url}/listings", json=listing("SAME"), headers={"X-API-Key": key}
                    ),
                    range(200),
                )
            )
    codes = [a.status_code for a in answers]
    statuses = [a.json()["status"] for a in answers]
    assert (codes.count(201), codes.count(200), statuses.count("unchanged")) == (1, 199, 199)
    with get_engine(pg_url).connect() as conn:
        assert conn.execute(text("SELECT count(*), max(change_seq) FROM listings")).one() == (1, 1)
