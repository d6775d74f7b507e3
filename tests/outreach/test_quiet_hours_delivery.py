"""Quiet hours end to end: a message queued in the recipient's quiet hours waits (not
dropped) and goes at their 08:00; the zone comes from the lead's zip when the area code is
unknown, both when queueing and when sending."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from pipelines import clock
from pipelines.billing.ledger import grant
from pipelines.db.engine import get_engine
from pipelines.notify.paid import queue_paid
from pipelines.notify.paid_delivery import deliver_outreach
from pipelines.notify.phone_senders import open_phone_sender
from pipelines.notify.webhooks import WebhookSender
from tests.lead_helpers import add_leads, add_property, daily
from tests.listing_helpers import tenant_with_subscribers
from tests.outreach.helpers import ask, deliver, funded_tenant, row

UTC = timezone.utc
DAY = date(2026, 11, 20)


def _deliver(url, now):
    return deliver_outreach(get_engine(url), open_phone_sender(), WebhookSender(5), now=now)


def _setup(url, zip_code):
    tenant, (sub,), _ = tenant_with_subscribers(url, "acme", [{}])
    grant(get_engine(url), tenant["id"], 100, "seed")
    add_property(url, "3040120010010", zip_code=zip_code)
    (lead,) = add_leads(url, [("foreclosure", 95, DAY, daily(DAY))])
    return tenant["id"], sub, lead


@pytest.mark.clock_sensitive()
def test_queued_at_night_waits_for_the_recipient_s_morning(sqlite_url):
    t, sub, lead = _setup(sqlite_url, "33125")
    night = datetime(2026, 11, 25, 3, 0, tzinfo=UTC)  # 22:00 in Miami
    with get_engine(sqlite_url).begin() as conn:
        q = queue_paid(
            conn, t, sub, "lead", lead, "sms", "+13055550142", "urgent_lead", "33125", night
        )
    assert q.not_before == datetime(2026, 11, 25, 13, 0, tzinfo=UTC)  # 08:00 EST
    assert _deliver(sqlite_url, datetime(2026, 11, 25, 12, 59, tzinfo=UTC)).sent == 0
    assert row(sqlite_url, q.notification_id).state == "queued"
    assert _deliver(sqlite_url, datetime(2026, 11, 25, 13, 0, tzinfo=UTC)).sent == 1


@pytest.mark.clock_sensitive()
def test_an_unknown_area_code_takes_the_lead_s_zone_when_sending_too(sqlite_url):
    t, sub, lead = _setup(sqlite_url, "32501")  # Pensacola: Central time
    evening = datetime(2026, 11, 25, 2, 30, tzinfo=UTC)  # 20:30 Central, 21:30 Eastern
    with get_engine(sqlite_url).begin() as conn:
        q = queue_paid(
            conn, t, sub, "lead", lead, "sms", "+19995550142", "urgent_lead", "32501", evening
        )
    assert q.not_before is None  # allowed where the recipient is
    assert _deliver(sqlite_url, evening).sent == 1  # and still allowed when sent


@pytest.mark.clock_sensitive()
def test_a_request_now_goes_now_or_at_the_recipient_s_next_8am(sqlite_url, frozen_clock):
    """Under each test clock (a weekday morning, Saturday 02:00, Sunday 23:30, the DST
    changes...): inside 08:00-21:00 where the recipient is, it goes at once; else at 08:00."""
    tenant, sub, _ = funded_tenant(sqlite_url)
    now = clock.now()
    asked = ask(sqlite_url, tenant, sub, to="+13125550142")  # Chicago
    local = now.astimezone(ZoneInfo("America/Chicago"))
    if time(8) <= local.time() < time(21):
        assert asked["not_before"] is None
        assert deliver(sqlite_url).sent == 1
        return
    day = local.date() + timedelta(days=1 if local.time() >= time(21) else 0)
    morning = datetime.combine(day, time(8), ZoneInfo("America/Chicago"))
    assert datetime.fromisoformat(asked["not_before"]) == morning
    assert deliver(sqlite_url).deferred == 0 and deliver(sqlite_url).sent == 0
    frozen_clock.move_to(morning + timedelta(seconds=1))
    assert deliver(sqlite_url).sent == 1
