"""Lookups as clients meet them: `folio serve` (a real process) under 100 concurrent POSTs
with 37 units left, the lookups job launched by its sensor, `?wait`, tenant isolation, and
`folio lookup` on the command line; the key appears in no output, table or run storage."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timezone

import httpx
import pytest
from dagster import DagsterInstance
from fastapi.testclient import TestClient
from sqlalchemy import text

from pipelines.control.runner import tick_sensor
from pipelines.db.engine import get_engine
from pipelines.db.schema import lookup_unit_days
from pipelines.lookups.units import county_day, usage
from tests.builders import doc
from tests.fake_providers import FakeRecordsApi, api_records
from tests.listing_helpers import tenant_with_subscribers
from tests.servers import folio_serve

KEY = "county-key-e2e-Wq93"


@pytest.fixture
def api(monkeypatch):
    with FakeRecordsApi(KEY) as server:
        monkeypatch.setenv("FOLIO_RECORDS_API_URL", server.url)
        monkeypatch.setenv("FOLIO_RECORDS_API_KEY", KEY)
        yield server


def folios(n: int) -> list[str]:
    return [f"30401200{i:05d}" for i in range(n)]


def drain(instance) -> list:
    """Tick the lookups sensor until it has nothing left (the daemon's job, in-process)."""
    runs, cursor = [], None
    while True:
        outcome = tick_sensor(instance, "lookup_requests_sensor", cursor)
        cursor = outcome.cursor
        runs += outcome.runs
        if not outcome.runs:
            return runs


def test_100_concurrent_posts_with_37_units_left(pg_url, api, tmp_path, monkeypatch):
    monkeypatch.setenv("FOLIO_DATABASE_URL", pg_url)
    for f in folios(100):
        api.documents[("folioNumber", f)] = api_records(
            doc(1, "20260105", "WD", f, consideration_1="1")
        )
    _, _, key = tenant_with_subscribers(pg_url, "acme", [])
    engine, day = get_engine(pg_url), county_day(datetime.now(timezone.utc), "America/New_York")
    with engine.begin() as conn:
        conn.execute(lookup_unit_days.insert().values(day=day, reserved=0, consumed=500 - 37))
    with folio_serve(pg_url, tmp_path) as base:
        with httpx.Client(timeout=30) as http, ThreadPoolExecutor(max_workers=50) as pool:
            answers = list(
                pool.map(
                    lambda f: http.post(
                        f"{base}/lookups", json={"folio": f}, headers={"X-API-Key": key}
                    ),
                    folios(100),
                )
            )
    codes = [a.status_code for a in answers]
    assert (codes.count(202), codes.count(429)) == (37, 63), codes
    refused = next(a for a in answers if a.status_code == 429)
    assert refused.json()["detail"] == "today's cap of 500 records-API units is used up"
    assert int(refused.headers["Retry-After"]) > 0 and refused.json()["resets_at"].endswith(
        "-05:00"
    )
    runs = drain(DagsterInstance.get())
    assert len(runs) == 37 and all(r.success for r in runs)
    assert len(api.requests) == 37
    with engine.connect() as conn:
        assert usage(conn, day) == (0, 500)
    run = DagsterInstance.get().get_run_by_id(runs[0].run_id)
    assert run.tags["dagster/priority"] == "10" and run.tags["folio/family"] == "lookups"


def test_wait_get_isolation_and_errors(sqlite_url, api, monkeypatch):
    from pipelines.http.app import app

    monkeypatch.setenv("FOLIO_DATABASE_URL", sqlite_url)
    f = folios(1)[0]
    api.documents[("folioNumber", f)] = api_records(
        doc(1, "20260105", "WD", f, grantee="LUZ REYES")
    )
    _, _, key = tenant_with_subscribers(sqlite_url, "acme", [])
    _, _, other = tenant_with_subscribers(sqlite_url, "other", [])
    client, h = TestClient(app), {"X-API-Key": key}
    instance = DagsterInstance.get()
    worker = threading.Timer(0.5, lambda: drain(instance))  # the daemon, half a second later
    worker.start()
    waited = client.post("/lookups?wait=20", json={"folio": f}, headers=h)
    worker.join()
    assert waited.status_code == 200, waited.text
    body = waited.json()
    assert (body["source"], body["state"], body["property"]["owner_name"]) == (
        "records_api",
        "done",
        "LUZ REYES",
    )
    polled = client.get(f"/lookups/{body['id']}", headers=h).json()
    assert (polled["state"], polled["progress"], polled["attempts"]) == ("done", 100, 1)
    assert client.get(f"/lookups/{body['id']}", headers={"X-API-Key": other}).status_code == 404
    cached = client.post("/lookups", json={"folio": f}, headers=h)
    assert (
        cached.status_code == 200 and cached.json()["source"] == "cache" and len(api.requests) == 1
    )
    queued = client.post("/lookups", json={"cfn": "2031-5"}, headers=h)
    assert queued.status_code == 202 and queued.json() == {"id": body["id"] + 1, "state": "queued"}
    bad = client.post("/lookups", json={"folio": "nope"}, headers=h)
    assert bad.status_code == 422 and "folio 'nope' is not a 13-digit folio" in bad.text
    assert client.post("/lookups", json={"folio": f}).status_code == 401
    assert client.post("/lookups?wait=31", json={"folio": f}, headers=h).status_code == 422


def folio_cli(*args, cwd, env):
    return subprocess.run(
        [sys.executable, "-m", "pipelines.cli", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=300,
        env={**os.environ, "COLUMNS": "200", **env},
    )


def test_folio_lookup_on_the_command_line(tmp_path, api):
    f = folios(1)[0]
    api.documents[("folioNumber", f)] = api_records(
        doc(1, "20260105", "WD", f, grantee="LUZ REYES")
    )
    env = {"FOLIO_LOOKUP_DAILY_UNIT_CAP": "1"}
    assert folio_cli("tenants", "add", "acme", cwd=tmp_path, env=env).returncode == 0
    asked = folio_cli("lookup", f, "--tenant", "acme", "--wait", cwd=tmp_path, env=env)
    assert asked.returncode == 0, asked.stdout + asked.stderr
    assert (
        "lookup 1: from the county's records API" in asked.stdout
        and '"owner_name": "LUZ REYES"' in asked.stdout
    )
    again = folio_cli("lookup", "30-4012-0000-000", "--tenant", "acme", cwd=tmp_path, env=env)
    assert again.returncode == 0 and "from Folio's data" in again.stdout
    over = folio_cli("lookup", folios(2)[1], "--tenant", "acme", cwd=tmp_path, env=env)
    assert (
        over.returncode == 1
        and "lookup 2 refused: today's cap of 1 records-API units is used up" in over.stdout
    )
    shown = folio_cli("lookup", "--id", "1", "--tenant", "acme", cwd=tmp_path, env=env)
    assert shown.returncode == 0 and json.loads(shown.stdout)["state"] == "done"
    bad = folio_cli("lookup", "--cfn", "x", "--tenant", "acme", cwd=tmp_path, env=env)
    assert bad.returncode == 1 and "cfn 'x' is not YYYY-NNNNNNN" in bad.stdout
    # The key went to the county and nowhere else: not the output, the tables, or run storage.
    assert all(r["query"]["authKey"] == KEY for r in api.requests)
    outputs = asked.stdout + asked.stderr + again.stdout + over.stdout + shown.stdout
    engine = get_engine(f"sqlite:///{tmp_path / 'data' / 'folio.db'}")
    with engine.connect() as conn:
        names = (
            conn.execute(text("SELECT name FROM sqlite_master WHERE type = 'table'"))
            .scalars()
            .all()
        )
        tables = json.dumps(
            [[list(r) for r in conn.execute(text(f'SELECT * FROM "{n}"'))] for n in names],
            default=str,
        )
    instance = DagsterInstance.get()  # the CLI recorded its runs in the test's DAGSTER_HOME
    storage = "".join(str(e) for r in instance.get_runs() for e in instance.all_logs(r.run_id))
    storage += "".join(json.dumps(r.run_config) for r in instance.get_runs())
    assert instance.get_runs() and KEY not in outputs + tables + storage
