"""The compliance screen: quiet hours in the recipient's zone (across zones and a DST
change), the opt-out list, the per-number daily cap, and the carrier keywords."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from pipelines.db.engine import get_engine
from pipelines.db.schema import notifications
from pipelines.notify.compliance import inbound_keyword, next_allowed, opt_in, opt_out, screen
from pipelines.notify.phones import BadPhone, mask, normalise, time_zone

UTC = timezone.utc


@pytest.mark.parametrize(
    "raw, e164",
    [
        ("(305) 555-0100", "+13055550100"),
        ("1-305-555-0100", "+13055550100"),
        ("+44 20 7946 0958", "+442079460958"),
        ("305.555.0100", "+13055550100"),
    ],
)
def test_numbers_normalise_to_e164(raw, e164):
    assert normalise(raw) == e164


@pytest.mark.parametrize("raw", ["", "555-0100", "+0123", "call me", "305555010012345678"])
def test_what_is_not_a_number_is_refused_saying_so(raw):
    with pytest.raises(BadPhone, match="is not a phone number"):
        normalise(raw)


def test_logs_see_a_masked_number():
    assert mask("+13055550100") == "+1305*****00"


@pytest.mark.parametrize(
    "phone, zip_code, zone",
    [
        ("+13055550100", None, "America/New_York"),
        ("+13125550100", "33125", "America/Chicago"),
        ("+16025550100", None, "America/Phoenix"),
        ("+19995550100", "32501", "America/Chicago"),
        ("+19995550100", "33125", "America/New_York"),
        ("+442079460958", None, "America/New_York"),
    ],
)
def test_the_zone_comes_from_the_area_code_then_the_zip_then_the_county(phone, zip_code, zone):
    assert time_zone(phone, zip_code, "America/New_York") == zone


def test_quiet_hours_in_the_recipients_zone():
    at = datetime(2026, 11, 24, 13, 30, tzinfo=UTC)  # 08:30 New York, 07:30 Chicago
    assert next_allowed(at, "America/New_York") is None
    assert next_allowed(at, "America/Chicago") == datetime(2026, 11, 24, 14, 0, tzinfo=UTC)
    late = datetime(2026, 11, 25, 2, 15, tzinfo=UTC)  # 21:15 New York: wait for 08:00
    assert next_allowed(late, "America/New_York") == datetime(2026, 11, 25, 13, 0, tzinfo=UTC)
    # Phoenix keeps standard time: 06:30 there, allowed from 08:00 MST = 15:00 UTC
    assert next_allowed(at, "America/Phoenix") == datetime(2026, 11, 24, 15, 0, tzinfo=UTC)


def test_quiet_hours_across_the_dst_change():
    # Sat 2026-03-07 21:30 EST; the clocks go forward that night: 08:00 EDT is 12:00 UTC.
    before = datetime(2026, 3, 8, 2, 30, tzinfo=UTC)
    assert next_allowed(before, "America/New_York") == datetime(2026, 3, 8, 12, 0, tzinfo=UTC)
    # Sat 2026-10-31 22:00 EDT; back to EST overnight: 08:00 EST is 13:00 UTC.
    fall = datetime(2026, 11, 1, 2, 0, tzinfo=UTC)
    assert next_allowed(fall, "America/New_York") == datetime(2026, 11, 1, 13, 0, tzinfo=UTC)


_ids = iter(range(1000, 2000))


def _sent(conn, phone: str, at: datetime, n: int, channel: str = "sms") -> None:
    for _ in range(n):
        i = next(_ids)
        conn.execute(
            notifications.insert().values(
                tenant_id=1,
                subscriber_id=1,
                item_kind="outreach",
                item_id=i,
                channel=channel,
                template="lead_intro",
                state="sent",
                attempts=1,
                idempotency_key=f"k{i}",
                to_address=phone,
                created_at=at,
                updated_at=at,
                sent_at=at,
            )
        )


def test_opt_out_blocks_and_start_lifts_it(sqlite_url):
    engine, phone = get_engine(sqlite_url), "+13055550100"
    noon = datetime(2026, 11, 24, 17, tzinfo=UTC)
    with engine.begin() as conn:
        assert screen(conn, phone, noon).action == "send"
        assert opt_out(conn, phone, "inbound") is True
        assert opt_out(conn, phone, "inbound") is False  # already on the list
        verdict = screen(conn, phone, noon)
        assert (verdict.action, verdict.rule) == ("block", "opt_out")
        assert opt_in(conn, phone) is True
        assert screen(conn, phone, noon).action == "send"


def test_the_fourth_message_of_the_day_waits_for_tomorrow(sqlite_url):
    engine, phone = get_engine(sqlite_url), "+13055550100"
    noon = datetime(2026, 11, 24, 17, tzinfo=UTC)  # 12:00 in Miami
    with engine.begin() as conn:
        _sent(conn, phone, noon - timedelta(hours=3), 2)
        _sent(conn, phone, noon - timedelta(days=1), 2)  # yesterday's do not count
        _sent(conn, "+13055550199", noon, 3)  # nor another number's
        assert screen(conn, phone, noon).action == "send"
        _sent(conn, phone, noon - timedelta(hours=1), 1, channel="voice")  # calls count
        verdict = screen(conn, phone, noon)
    assert (verdict.action, verdict.rule) == ("defer", "daily_cap")
    assert verdict.not_before == datetime(2026, 11, 25, 13, 0, tzinfo=UTC)  # 08:00 tomorrow
    assert "3 messages to this number today (cap 3)" in verdict.detail


@pytest.mark.parametrize(
    "body, word",
    [
        ("STOP", "stop"),
        ("stop please", "stop"),
        ("Unsubscribe", "stop"),
        ("quit.", "stop"),
        ("START", "start"),
        ("yes", "start"),
        ("stopping by later", None),
        ("", None),
    ],
)
def test_carrier_keywords(body, word):
    assert inbound_keyword(body) == word
