"""A delivering process SIGKILLed with money held: between the reservation and the provider
call (Twilio unreachable, the run waiting to retry), and after the request reached Twilio
but before its answer was recorded. After a restart each reservation resolves exactly once:
released when Twilio has no record of the message, captured when it does; a second pass
changes nothing."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import timedelta

from sqlalchemy import select

from pipelines.billing.ledger import Balance, balance, verify
from pipelines.db.engine import get_engine
from pipelines.db.schema import notifications
from pipelines.notify.paid_delivery import deliver_outreach, reconcile
from pipelines.notify.phone_senders import open_phone_sender
from pipelines.notify.webhooks import WebhookSender
from tests.fake_twilio import FakeTwilio, twilio_env
from tests.outreach.helpers import all_hours, ask, entries, funded_tenant
from tests.servers import free_port

DELIVER = (
    "from pipelines.db.engine import get_engine; "
    "from pipelines.notify.paid_delivery import deliver_outreach; "
    "from pipelines.notify.phone_senders import open_phone_sender; "
    "from pipelines.notify.webhooks import WebhookSender; "
    "import os; deliver_outreach(get_engine(os.environ['FOLIO_DATABASE_URL']), "
    "open_phone_sender(), WebhookSender(5))"
)


def _start(url: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-c", DELIVER], env={**os.environ, "FOLIO_DATABASE_URL": url}
    )


def _state(url: str) -> str:
    with get_engine(url).connect() as conn:
        return conn.execute(
            select(notifications.c.state).where(notifications.c.channel == "sms")
        ).scalar_one()


def _wait(condition, what: str, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


def _restart(url: str) -> dict:
    """What the next deliver_outreach run does: stale `sending` → unknown, then reconcile."""
    engine = get_engine(url)
    deliver_outreach(engine, open_phone_sender(), WebhookSender(5))
    return reconcile(engine, open_phone_sender(), timedelta(0))


def test_killed_before_the_call_releases_once(sqlite_url, monkeypatch):
    all_hours(monkeypatch)
    monkeypatch.setenv("FOLIO_RETRY_DELAY_SCALE", "1")  # the run sleeps 5 s before retrying
    tenant, sub, _ = funded_tenant(sqlite_url)
    with FakeTwilio() as twilio:
        twilio_env(monkeypatch, twilio)
        monkeypatch.setenv("FOLIO_TWILIO_BASE_URL", f"http://127.0.0.1:{free_port()}")  # refused
        ask(sqlite_url, tenant, sub)
        child = _start(sqlite_url)
        _wait(lambda: _state(sqlite_url) == "sending", "the claim")
        time.sleep(0.5)  # inside the retry wait: the call never got through
        child.send_signal(signal.SIGKILL)
        child.wait()
        assert _state(sqlite_url) == "sending"
        assert balance(get_engine(sqlite_url), tenant["id"]) == Balance(90, 10)
        monkeypatch.setenv("FOLIO_TWILIO_BASE_URL", twilio.url)
        monkeypatch.setenv("FOLIO_SENDING_STALE_SECONDS", "0")
        assert _restart(sqlite_url) == {"settled": 0, "released": 1, "waiting": 0}
        assert _restart(sqlite_url) == {"settled": 0, "released": 0, "waiting": 0}
        assert twilio.creates() == []  # never sent, never resent
    assert _state(sqlite_url) == "failed"
    assert entries(sqlite_url)[1:] == [("reserve", 10), ("release", 10)]
    assert verify(get_engine(sqlite_url), tenant["id"]) == Balance(100, 0)


def test_killed_after_twilio_took_it_captures_once(sqlite_url, monkeypatch):
    all_hours(monkeypatch)
    tenant, sub, _ = funded_tenant(sqlite_url)
    with FakeTwilio(script=["timeout"], timeout_hold=30) as twilio:
        twilio_env(monkeypatch, twilio)
        ask(sqlite_url, tenant, sub)
        child = _start(sqlite_url)
        _wait(lambda: len(twilio.created) == 1, "the request at Twilio")
        child.send_signal(signal.SIGKILL)  # Twilio has it; our answer never comes back
        child.wait()
        assert _state(sqlite_url) == "sending"
        [sid] = twilio.created
        twilio.set_status(sid, "delivered")
        monkeypatch.setenv("FOLIO_SENDING_STALE_SECONDS", "0")
        assert _restart(sqlite_url) == {"settled": 1, "released": 0, "waiting": 0}
        assert _restart(sqlite_url) == {"settled": 0, "released": 0, "waiting": 0}
        assert len(twilio.creates()) == 1  # never resent
    assert _state(sqlite_url) == "sent"
    assert entries(sqlite_url)[1:] == [("reserve", 10), ("capture", 10)]
    assert verify(get_engine(sqlite_url), tenant["id"]) == Balance(90, 0)
