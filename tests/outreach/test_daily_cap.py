"""The per-number daily cap when queueing: every message holds a slot on the recipient's day
it is planned to go, so a burst of requests cannot queue more than the cap; the refusal names
the rule and holds no tokens. Slots follow the message: one queued in the night holds the
morning's slot, one that never reaches the provider gives its slot back."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from pipelines.billing.ledger import Balance, balance
from pipelines.db.engine import get_engine
from pipelines.notify.compliance import opt_in, opt_out
from pipelines.outreach.requests import OutreachError
from tests.outreach.helpers import LEAD_PHONE, all_hours, ask, deliver, funded_tenant

MIAMI = ZoneInfo("America/New_York")


def test_the_fourth_request_to_one_number_today_is_refused(sqlite_url, monkeypatch):
    all_hours(monkeypatch)
    tenant, sub, _ = funded_tenant(sqlite_url)
    for _ in range(3):
        assert ask(sqlite_url, tenant, sub)["state"] == "queued"
    with pytest.raises(OutreachError, match="3 messages to this number today") as refused:
        ask(sqlite_url, tenant, sub)
    assert (refused.value.status, refused.value.where) == (422, "daily_cap")
    assert ask(sqlite_url, tenant, sub, to="+13055550143")["state"] == "queued"  # another number
    assert balance(get_engine(sqlite_url), tenant["id"]) == Balance(60, 40)


def test_requests_queued_in_the_night_hold_the_morning_s_slots(db_url, frozen_clock):
    tenant, sub, _ = funded_tenant(db_url)
    frozen_clock.move_to(datetime(2026, 12, 2, 22, 30, tzinfo=MIAMI))  # quiet hours
    for _ in range(3):
        asked = ask(db_url, tenant, sub)
        assert asked["not_before"] == "2026-12-03T13:00:00+00:00"  # 08:00 in Miami
    with pytest.raises(OutreachError, match="3 messages to this number on 2026-12-03"):
        ask(db_url, tenant, sub)
    frozen_clock.move_to(datetime(2026, 12, 3, 9, 0, tzinfo=MIAMI))
    with pytest.raises(OutreachError, match="3 messages to this number today"):
        ask(db_url, tenant, sub)  # the night's three are today's three
    assert deliver(db_url).sent == 3
    assert balance(get_engine(db_url), tenant["id"]) == Balance(70, 0)  # the file outbox


def test_a_message_that_never_goes_gives_its_slot_back(sqlite_url, monkeypatch):
    all_hours(monkeypatch)
    tenant, sub, _ = funded_tenant(sqlite_url)
    for _ in range(3):
        ask(sqlite_url, tenant, sub)
    engine = get_engine(sqlite_url)
    with engine.begin() as conn:
        opt_out(conn, LEAD_PHONE, "operator")
    assert deliver(sqlite_url).blocked == 3
    with engine.begin() as conn:
        opt_in(conn, LEAD_PHONE)
    for _ in range(3):  # the blocked three took nothing from the day
        assert ask(sqlite_url, tenant, sub)["state"] == "queued"
    with pytest.raises(OutreachError, match="3 messages to this number today"):
        ask(sqlite_url, tenant, sub)
    assert balance(engine, tenant["id"]) == Balance(70, 30)
