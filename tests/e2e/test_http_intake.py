"""The HTTP intake: 201/200/422/401/404, idempotent re-submission, tenant isolation, and a
real `folio serve` process answering on a loopback port."""

import os
import subprocess
import sys
import time

import httpx
import pytest
from fastapi.testclient import TestClient

from pipelines.api import app
from pipelines.listings.scoring import RuleScorer, score_listings
from pipelines.settings import get_settings
from pipelines.store.db import get_engine
from tests.listing_helpers import listing, tenant_with_subscribers
from tests.servers import free_port


@pytest.fixture
def client(sqlite_url, monkeypatch):
    monkeypatch.setenv("FOLIO_DATABASE_URL", sqlite_url)
    return TestClient(app)


def test_post_get_and_resubmit(client, sqlite_url):
    _, _, key = tenant_with_subscribers(sqlite_url, "acme", [])
    _, _, other_key = tenant_with_subscribers(sqlite_url, "other", [])
    h = {"X-API-Key": key}
    created = client.post("/listings", json=listing("H1"), headers=h)
    assert created.status_code == 201 and created.json() == {"id": 1, "external_id": "H1", "status": "created"}
    same = client.post("/listings", json=listing("H1"), headers=h)
    assert same.status_code == 200 and same.json()["status"] == "unchanged" and same.json()["id"] == 1
    changed = client.post("/listings", json=listing("H1", price=210000), headers=h)
    assert changed.status_code == 200 and changed.json() == {"id": 1, "external_id": "H1", "status": "updated"}

    body = client.get("/listings/1", headers=h).json()
    assert (body["external_id"], body["price"], body["score"], body["alerts"]) == ("H1", 210000.0, None, [])
    score_listings(get_engine(sqlite_url), RuleScorer(), get_settings())
    scored = client.get("/listings/1", headers=h).json()["score"]
    assert scored["scorer"] == "rules" and scored["current"] is True
    assert set(scored["breakdown"]) == {"cap_rate", "price_per_sqft", "age_condition", "listing_type"}
    # Another tenant's key cannot see it; no key is refused.
    assert client.get("/listings/1", headers={"X-API-Key": other_key}).status_code == 404
    assert client.get("/listings/999", headers=h).status_code == 404
    assert client.get("/listings/1").status_code == 401
    assert client.post("/listings", json=listing("H2"), headers={"X-API-Key": "folio_wrong"}).status_code == 401


def test_bad_listing_gets_per_field_errors(client, sqlite_url):
    _, _, key = tenant_with_subscribers(sqlite_url, "acme", [])
    bad = client.post("/listings", json=listing("H3", price=-1, zip="331", listing_type="castle"),
                      headers={"X-API-Key": key})
    assert bad.status_code == 422
    fields = {tuple(e["loc"]): e["msg"] for e in bad.json()["detail"]}
    assert fields == {("body", "zip"): "String should match pattern '^\\d{5}$'",
                      ("body", "price"): "Input should be greater than 0",
                      ("body", "listing_type"): "Input should be 'sale', 'rent', 'auction' or 'foreclosure'"}
    wrong_tenant = client.post("/listings", json={**listing("H4"), "tenant_id": "other"}, headers={"X-API-Key": key})
    assert wrong_tenant.status_code == 422 and wrong_tenant.json()["detail"][0]["loc"] == ["body", "tenant_id"]


def test_folio_serve_answers_on_a_real_port(sqlite_url, tmp_path):
    _, _, key = tenant_with_subscribers(sqlite_url, "acme", [])
    port = free_port()
    env = {**os.environ, "FOLIO_DATABASE_URL": sqlite_url}
    proc = subprocess.Popen([sys.executable, "-m", "pipelines.cli", "serve", "--port", str(port)], cwd=tmp_path,
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        url = f"http://127.0.0.1:{port}"
        for _ in range(100):
            try:
                health = httpx.get(f"{url}/health", timeout=1)
                break
            except httpx.TransportError:
                time.sleep(0.1)
        assert health.json() == {"status": "ok", "database": "ok"}
        posted = httpx.post(f"{url}/listings", json=listing("S1"), headers={"X-API-Key": key})
        assert posted.status_code == 201 and posted.json()["id"] == 1
    finally:
        proc.terminate()
        proc.wait(timeout=10)
