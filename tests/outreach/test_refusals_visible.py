"""Refused outreach is visible: `GET /outreach?state=refused` and `folio outreach list
--state refused` show what the compliance screen stopped, with the rule, beside the
requests that went (SQLite and PostgreSQL)."""

import json
import os
import subprocess
import sys

import pytest
from fastapi.testclient import TestClient

from pipelines.db.engine import get_engine
from pipelines.notify.compliance import opt_out
from pipelines.outreach.requests import OutreachError
from tests.outreach.helpers import all_hours, ask, funded_tenant


def test_refusals_are_listed_by_the_api_and_the_command(db_url, monkeypatch, tmp_path):
    from pipelines.http.app import app

    all_hours(monkeypatch)
    monkeypatch.setenv("FOLIO_DATABASE_URL", db_url)
    tenant, sub, key = funded_tenant(db_url, tokens=15)  # one SMS (10), not two
    sent = ask(db_url, tenant, sub, to="+13055550101")
    with pytest.raises(OutreachError):
        ask(db_url, tenant, sub, to="+13055550102")  # 5 tokens left: refused
    with get_engine(db_url).begin() as conn:
        opt_out(conn, "+13055550103", "operator")
    with pytest.raises(OutreachError):
        ask(db_url, tenant, sub, to="+13055550103")  # opted out: refused
    other, other_sub, _ = funded_tenant(db_url, tokens=0, slug="other")
    with pytest.raises(OutreachError):
        ask(db_url, other, other_sub, to="+13055550104")  # another tenant's refusal

    http = TestClient(app)
    refused = http.get("/outreach?state=refused", headers={"X-API-Key": key}).json()
    assert [(o["kind"], o["state"], o["rule"], o["to"]) for o in refused["outreach"]] == [
        ("refusal", "refused", "opt_out", "+1305*****03"),
        ("refusal", "refused", "tokens", "+1305*****02"),
    ]
    everything = http.get("/outreach", headers={"X-API-Key": key}).json()
    assert [(o["kind"], o["state"]) for o in everything["outreach"]] == [
        ("refusal", "refused"),
        ("refusal", "refused"),
        ("request", "queued"),
    ] and everything["outreach"][2]["id"] == sent["id"]
    bad = http.get("/outreach?state=lost", headers={"X-API-Key": key})
    assert bad.status_code == 422

    env = {**os.environ, "COLUMNS": "80", "FOLIO_DATABASE_URL": db_url}
    cmd = [sys.executable, "-m", "pipelines.cli", "outreach", "list", "--tenant", "acme"]
    shown = subprocess.run([*cmd, "--state", "refused"], env=env, capture_output=True, text=True)
    assert shown.returncode == 0, shown.stderr
    assert all(len(line) <= 80 for line in shown.stdout.splitlines())
    assert "opt_out" in shown.stdout and "tokens" in shown.stdout and "queued" not in shown.stdout
    as_json = subprocess.run([*cmd, "--json"], env=env, capture_output=True, text=True)
    assert [
        r["rule"] if r["kind"] == "refusal" else r["state"] for r in json.loads(as_json.stdout)
    ] == [
        "opt_out",
        "tokens",
        "queued",
    ]
