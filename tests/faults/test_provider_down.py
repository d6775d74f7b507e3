"""The email provider down for longer than the retry budget: each message ends `failed` after
1 + 5 attempts, one admin alert says so, and nothing is resent afterwards (replays included)."""

from dagster import DagsterInstance

from pipelines.control.runner import tick_sensor
from pipelines.db.engine import get_engine
from pipelines.notify.outbox import list_messages
from tests.fake_providers import FakeSendGrid
from tests.listing_helpers import tenant_with_subscribers

KEY = "SG.provider-down-test-key"


def test_down_longer_than_the_budget(sqlite_url, monkeypatch, tmp_path):
    tenant_with_subscribers(sqlite_url, "acme", [{}, {}])  # two queued welcome emails
    monkeypatch.setenv("FOLIO_DATABASE_URL", sqlite_url)
    monkeypatch.setenv("SENDGRID_API_KEY", KEY)
    monkeypatch.setenv("FOLIO_RETRY_DELAY_SCALE", "0.001")  # the budget's 1, 2, 4, 8, 16 s, shrunk
    instance = DagsterInstance.get()
    with FakeSendGrid(KEY, ["500"] * 12) as api:
        monkeypatch.setenv("FOLIO_SENDGRID_BASE_URL", api.url)
        first = tick_sensor(instance, "email_outbox_sensor", None)
        assert [r.success for r in first.runs] == [True]
        assert len(api.requests) == 12 and api.accepted == []  # 2 messages × (1 + 5)
        replay = tick_sensor(instance, "email_outbox_sensor", None)  # even with the cursor lost
        later = tick_sensor(instance, "email_outbox_sensor", first.cursor)
        assert (replay.runs, later.runs) == ([], [])  # failed is final: nothing queued to send
        assert len(api.requests) == 12  # nothing resent
    states = [(m["id"], m["state"], m["attempts"]) for m in list_messages(get_engine(sqlite_url))]
    assert sorted(states) == [(1, "failed", 6), (2, "failed", 6)]
    alerts = sorted((tmp_path / "data" / "outbox" / "admin_alerts").iterdir())
    assert [a.name for a in alerts] == ["email-undelivered-1-2-2.txt"]
    text = alerts[0].read_text()
    assert "email delivery: 2 message(s) not delivered" in text
    assert "notification 1: failed: 6 attempts: SendGrid answered 500" in text
    assert KEY not in text
