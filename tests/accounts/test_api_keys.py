"""API keys a tenant manages: several per tenant, hashed at rest, revocable, last use noted;
keys made before keys were listed keep working (SQLite and PostgreSQL)."""

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from pipelines.accounts.api_keys import (
    UnknownKey,
    issue_key,
    key_hash,
    list_keys,
    revoke_key,
    tenant_for_key,
)
from pipelines.accounts.tenants import add_tenant
from pipelines.db.engine import get_engine
from pipelines.db.migrate import downgrade, upgrade
from tests.dagster_helpers import dump_tables


def test_several_keys_work_are_listed_and_one_revoked_stops_at_once(db_url, monkeypatch):
    from pipelines.http.app import app

    monkeypatch.setenv("FOLIO_DATABASE_URL", db_url)
    upgrade(db_url)
    engine = get_engine(db_url)
    acme, first = add_tenant(engine, "acme", "Acme")
    beta, _ = add_tenant(engine, "beta", "Beta")
    with engine.begin() as conn:
        second_id, second = issue_key(conn, acme, "zapier sync")
    assert (first[:6], second[:6], len(second)) == ("folio_", "folio_", 38)
    http = TestClient(app)
    for key in (first, second):
        assert http.get("/leads", headers={"X-API-Key": key}).status_code == 200
    listed = list_keys(engine, acme)
    assert [
        (k["id"], k["prefix"], k["label"], k["last_used_at"] is not None, k["revoked_at"])
        for k in listed
    ] == [(1, first[:10], "first key", True, None), (3, second[:10], "zapier sync", True, None)]

    revoke_key(engine, acme, second_id)
    refused = http.get("/leads", headers={"X-API-Key": second})
    assert refused.status_code == 401
    assert http.get("/leads", headers={"X-API-Key": first}).status_code == 200
    with pytest.raises(UnknownKey, match="no key 3 in use"):
        revoke_key(engine, acme, second_id)  # revoked already
    with pytest.raises(UnknownKey, match="no key 1 in use"):
        revoke_key(engine, beta, 1)  # another tenant's key
    assert tenant_for_key(engine, first) == {"id": acme, "slug": "acme"}
    # Only hashes are stored: no table holds a key.
    stored = repr(dump_tables(db_url))
    assert first not in stored and second not in stored and key_hash(first) in stored


def test_a_key_made_before_keys_were_listed_keeps_working(db_url):
    downgrade(db_url, "0021")  # a database as it was before this change
    engine = get_engine(db_url)
    old = "folio_" + "x" * 32
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO tenants (slug, name, api_key_sha256, created_at) "
                "VALUES ('old', 'Old', :h, CURRENT_TIMESTAMP)"
            ),
            {"h": key_hash(old)},
        )
    upgrade(db_url)
    found = tenant_for_key(engine, old)
    assert found is not None and found["slug"] == "old"
    [key] = list_keys(engine, found["id"])
    assert (key["prefix"], key["label"], key["revoked_at"]) == (None, "first key", None)
