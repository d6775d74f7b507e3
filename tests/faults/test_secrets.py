"""No secret anywhere: the whole demo runs with recognisable fake keys for every provider
(SendGrid, Anthropic, Twilio, Stripe, the webhook signing secret, the records API, the
source), and not one of them appears in its output, any log, the Dagster run storage, any
table or any file the product wrote. The phone the demo texts appears masked in run logs."""

import json
import os
import subprocess
import sys

from dagster import DagsterInstance
from sqlalchemy import create_engine, text

from tests.fake_providers import FakeAnthropic, FakeSendGrid
from tests.fake_twilio import FROM, SID, TOKEN, FakeTwilio

SECRETS = {
    "SENDGRID_API_KEY": "SG.leak-canary-sendgrid-7731",
    "ANTHROPIC_API_KEY": "sk-ant-leak-canary-anthropic-5519",
    "FOLIO_WEBHOOK_SECRET": "leak-canary-webhook-2284",
    "FOLIO_RECORDS_API_KEY": "leak-canary-records-9046",
    "FOLIO_SOURCE_AUTH_KEY": "leak-canary-source-3362",
    "TWILIO_AUTH_TOKEN": TOKEN,
    "STRIPE_WEBHOOK_SECRET": "whsec_leak-canary-stripe-6170",
}


def test_the_demo_with_every_key_set_leaks_none(tmp_path):
    with (
        FakeSendGrid(SECRETS["SENDGRID_API_KEY"]) as sendgrid,
        FakeAnthropic() as anthropic,
        FakeTwilio() as twilio,
    ):
        env = {
            **os.environ,
            **SECRETS,
            "COLUMNS": "200",
            "FOLIO_SENDGRID_BASE_URL": sendgrid.url,
            "ANTHROPIC_BASE_URL": anthropic.url,
            "FOLIO_RECORDS_API_URL": "http://127.0.0.1:9",
            "TWILIO_ACCOUNT_SID": SID,
            "FOLIO_TWILIO_FROM": FROM,
            "FOLIO_TWILIO_BASE_URL": twilio.url,
            # every hour allowed: the demo's SMS goes out whatever the time of the run
            "FOLIO_OUTREACH_ALLOWED_FROM": "00:00",
            "FOLIO_OUTREACH_ALLOWED_UNTIL": "23:59:59.999999",
        }
        proc = subprocess.run(
            [sys.executable, "-m", "pipelines.cli", "demo", "--days", "3", "--docs-per-day", "60"],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=900,
        )
        assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
        assert len(sendgrid.accepted) > 10 and len(anthropic.requests) > 100  # the keys were used
        assert len(twilio.creates("sms")) == 1
    seen = [proc.stdout, proc.stderr]
    engine = create_engine(f"sqlite:///{tmp_path / 'data' / 'folio.db'}")
    with engine.connect() as conn:
        names = (
            conn.execute(text("SELECT name FROM sqlite_master WHERE type = 'table'"))
            .scalars()
            .all()
        )
        for name in names:
            seen.append(
                json.dumps(
                    [list(r) for r in conn.execute(text(f'SELECT * FROM "{name}"'))], default=str
                )
            )
    engine.dispose()
    instance = DagsterInstance.get()
    run_logs = []
    for run in instance.get_runs():
        seen.append(json.dumps(run.run_config) + json.dumps(dict(run.tags)))
        run_logs += [str(e) for e in instance.all_logs(run.run_id)]
    seen += run_logs
    shown = "\n".join(run_logs)
    assert "+1305*****42: sent" in shown and "+13055550142" not in shown
    for path in (tmp_path / "data").rglob("*"):
        if path.is_file() and path.suffix not in (".db", ".db-wal", ".db-shm", ".parquet"):
            seen.append(path.read_bytes().decode("utf-8", "replace"))
    everything = "\n".join(seen)
    assert len(everything) > 100_000  # we did look at a lot
    leaked = [name for name, value in SECRETS.items() if value in everything]
    assert leaked == []


def test_every_provider_repeating_its_key_reaches_no_table_log_file_or_response(
    sqlite_url, tmp_path, monkeypatch, caplog
):
    """Each provider that answers with our key in its text — the county's records API (its
    URL), SendGrid, Anthropic — and the admin alert that quotes them: the keys are in no
    table, log line, file the product wrote, or HTTP response."""
    import logging

    from fastapi.testclient import TestClient

    from pipelines.db.engine import get_engine
    from pipelines.http.app import app
    from pipelines.listings.ai import AnthropicScorer
    from pipelines.listings.rules import rule_score
    from pipelines.lookups.client import RecordsApiClient
    from pipelines.lookups.perform import perform_lookup
    from pipelines.notify.delivery import deliver_email
    from pipelines.notify.email import SendGridSender
    from pipelines.settings import get_settings, load_settings
    from pipelines.upkeep.delivery_alerts import alert_undelivered
    from tests.fake_providers import FakeRecordsApi
    from tests.listing_helpers import tenant_with_subscribers

    caplog.set_level(logging.DEBUG)
    for name, value in SECRETS.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("FOLIO_DATABASE_URL", sqlite_url)
    _, _, tenant_key = tenant_with_subscribers(sqlite_url, "acme", [{}])  # a welcome email
    seen = []
    with (
        FakeRecordsApi(SECRETS["FOLIO_RECORDS_API_KEY"], script=["echo"]) as county,
        FakeSendGrid(SECRETS["SENDGRID_API_KEY"], ["echo"]) as sendgrid,
        FakeAnthropic(["echo"]) as anthropic,
    ):
        monkeypatch.setenv("FOLIO_RECORDS_API_URL", county.url)
        monkeypatch.setenv("ANTHROPIC_BASE_URL", anthropic.url)
        http, h = TestClient(app), {"X-API-Key": tenant_key}
        posted = http.post("/lookups", json={"folio": "3040120010010"}, headers=h)
        rid = posted.json()["id"]
        engine = get_engine(sqlite_url)
        client = RecordsApiClient(county.url, timeout=2.0)
        assert perform_lookup(engine, client, rid, get_settings()) == "failed"
        shown = http.get(f"/lookups/{rid}", headers=h)
        assert "authKey=[redacted]" in shown.json()["error"]
        seen += [posted.text, shown.text]
        sender = SendGridSender(sendgrid.url, 5)
        counts = deliver_email(engine, sender, sleep=lambda s: None)
        assert counts.failed == 1 and "[redacted]" in counts.problems[1]
        alert_undelivered("email", counts.problems)
        settings = load_settings(  # that mapping alone: the key and URL are in it
            {
                "FOLIO_AI_MODEL": "claude-test-1",
                "ANTHROPIC_API_KEY": SECRETS["ANTHROPIC_API_KEY"],
                "ANTHROPIC_BASE_URL": anthropic.url,
            }
        )
        listing = {
            "price": 200000,
            "estimated_rent": 2000,
            "sqft": 1000,
            "year_built": 2016,
            "listing_type": "sale",
            "zip": "33125",
        }
        reference = rule_score(listing, 250.0, 2026, settings)
        scored = AnthropicScorer(settings, sleep=lambda s: None).score(listing, 250.0, reference)
        assert scored.scorer == "rules" and "[redacted]" in scored.fallback_reason
        seen.append(scored.fallback_reason)
    # each provider was sent its key, and said it back
    assert county.requests[0]["query"]["authKey"] == SECRETS["FOLIO_RECORDS_API_KEY"]
    assert len(sendgrid.requests) == 1 and len(anthropic.requests) == 1
    engine = create_engine(sqlite_url)
    with engine.connect() as conn:
        names = (
            conn.execute(text("SELECT name FROM sqlite_master WHERE type = 'table'"))
            .scalars()
            .all()
        )
        for name in names:
            seen.append(
                json.dumps(
                    [list(r) for r in conn.execute(text(f'SELECT * FROM "{name}"'))], default=str
                )
            )
    engine.dispose()
    files = [p for p in (tmp_path / "data").rglob("*") if p.is_file()]
    alerts = [p for p in files if p.parent.name == "admin_alerts"]
    assert len(alerts) == 1 and "[redacted]" in alerts[0].read_text()
    seen += [p.read_bytes().decode("utf-8", "replace") for p in files if p.suffix != ".db"]
    seen.append(caplog.text)
    everything = "\n".join(seen)
    assert [name for name, value in SECRETS.items() if value in everything] == []
