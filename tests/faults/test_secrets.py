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
