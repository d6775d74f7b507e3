"""The compliance screen: quiet hours in the recipient's zone (across zones and a DST
change), the opt-out list, the per-number daily cap, and the carrier keywords."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pipelines.db.engine import get_engine
from pipelines.notify.compliance import (
    admit,
    inbound_keyword,
    next_allowed,
    opt_in,
    opt_out,
    release_slot,
    used_on,
)
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


@pytest.mark.parametrize(
    "raw",
    [
        "+1305555017\uff17",  # full-width 7
        "+1\uff13\uff10\uff15\uff15\uff15\uff15\uff10\uff11\uff17\uff17",  # all full-width
        "+1305555017\u0667",  # Arabic-Indic 7
        "+1305555017\u06f7",  # Extended Arabic-Indic (Persian) 7
        "(305) 555-01\u0967\u0967",  # Devanagari
        "+13055550177\u200b",  # a zero-width space hiding in it
    ],
)
def test_a_number_with_non_ascii_digits_or_characters_is_refused_not_converted(raw):
    with pytest.raises(BadPhone, match="only ASCII digits"):
        normalise(raw)


@given(
    st.text(alphabet="0123456789 ()-.+", max_size=8),
    st.characters(categories=["Nd"]).filter(lambda c: not ("0" <= c <= "9")),
    st.text(alphabet="0123456789 ()-.+", max_size=8),
)
def test_any_non_ascii_digit_anywhere_is_refused(before, digit, after):
    with pytest.raises(BadPhone):
        normalise("+1305555" + before + digit + after)


@pytest.mark.parametrize("raw", ["+19995550100", "+15555550100", "(000) 555-0100"])
def test_a_number_no_carrier_could_dial_is_refused(raw):
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
        ("+17875550100", None, "America/Puerto_Rico"),
        ("+442079460958", None, "Europe/London"),  # a foreign number sleeps on its own clock
        ("+19995550100", None, "America/New_York"),  # no zone known anywhere: the county's
    ],
)
def test_the_zone_comes_from_the_number_then_the_zip_then_the_county(phone, zip_code, zone):
    assert time_zone(phone, zip_code, "America/New_York") == zone


@pytest.mark.clock_sensitive()
def test_quiet_hours_in_the_recipients_zone():
    at = datetime(2026, 11, 24, 13, 30, tzinfo=UTC)  # 08:30 New York, 07:30 Chicago
    assert next_allowed(at, "America/New_York") is None
    assert next_allowed(at, "America/Chicago") == datetime(2026, 11, 24, 14, 0, tzinfo=UTC)
    late = datetime(2026, 11, 25, 2, 15, tzinfo=UTC)  # 21:15 New York: wait for 08:00
    assert next_allowed(late, "America/New_York") == datetime(2026, 11, 25, 13, 0, tzinfo=UTC)
    # Phoenix keeps standard time: 06:30 there, allowed from 08:00 MST = 15:00 UTC
    assert next_allowed(at, "America/Phoenix") == datetime(2026, 11, 24, 15, 0, tzinfo=UTC)


@pytest.mark.clock_sensitive()
def test_quiet_hours_across_the_dst_change():
    # Sat 2026-03-07 21:30 EST; the clocks go forward that night: 08:00 EDT is 12:00 UTC.
    before = datetime(2026, 3, 8, 2, 30, tzinfo=UTC)
    assert next_allowed(before, "America/New_York") == datetime(2026, 3, 8, 12, 0, tzinfo=UTC)
    # Sat 2026-10-31 22:00 EDT; back to EST overnight: 08:00 EST is 13:00 UTC.
    fall = datetime(2026, 11, 1, 2, 0, tzinfo=UTC)
    assert next_allowed(fall, "America/New_York") == datetime(2026, 11, 1, 13, 0, tzinfo=UTC)


def test_opt_out_blocks_and_start_lifts_it(sqlite_url):
    engine, phone = get_engine(sqlite_url), "+13055550100"
    noon = datetime(2026, 11, 24, 17, tzinfo=UTC)
    with engine.begin() as conn:
        assert admit(conn, phone, noon).action == "send"
        assert opt_out(conn, phone, "inbound") is True
        assert opt_out(conn, phone, "inbound") is False  # already on the list
        verdict = admit(conn, phone, noon)
        assert (verdict.action, verdict.rule, verdict.day) == ("block", "opt_out", None)
        assert opt_in(conn, phone) is True
        assert admit(conn, phone, noon).action == "send"
        assert used_on(conn, phone, date(2026, 11, 24)) == 2  # a block takes no slot


def test_the_fourth_message_of_the_day_waits_for_tomorrow(sqlite_url):
    engine, phone = get_engine(sqlite_url), "+13055550100"
    noon = datetime(2026, 11, 24, 17, tzinfo=UTC)  # 12:00 in Miami
    today, tomorrow = date(2026, 11, 24), date(2026, 11, 25)
    with engine.begin() as conn:
        for _ in range(3):  # yesterday's do not count
            assert admit(conn, phone, noon - timedelta(days=1)).action == "send"
        for _ in range(3):  # nor another number's
            assert admit(conn, "+13055550199", noon).action == "send"
        for _ in range(3):
            verdict = admit(conn, phone, noon)
            assert (verdict.action, verdict.day) == ("send", today)
        refused = admit(conn, phone, noon, wait=False)  # someone waiting is told at once
        waits = admit(conn, phone, noon)  # a message already queued waits for tomorrow
        assert (used_on(conn, phone, today), used_on(conn, phone, tomorrow)) == (3, 1)
    assert (refused.action, refused.rule, refused.day) == ("defer", "daily_cap", None)
    assert "3 messages to this number today (cap 3)" in refused.detail
    assert (waits.action, waits.rule, waits.day) == ("defer", "daily_cap", tomorrow)
    assert waits.not_before == datetime(2026, 11, 25, 13, 0, tzinfo=UTC)  # 08:00 tomorrow


def test_a_message_sent_on_another_day_than_planned_moves_its_slot(sqlite_url):
    engine, phone = get_engine(sqlite_url), "+13055550100"
    night = datetime(2026, 11, 25, 3, 0, tzinfo=UTC)  # 22:00 on the 24th in Miami
    with engine.begin() as conn:
        verdict = admit(conn, phone, night)
        assert (verdict.action, verdict.rule) == ("defer", "quiet_hours")
        assert verdict.day == date(2026, 11, 25)  # its slot is on the day it will go
        assert verdict.not_before == datetime(2026, 11, 25, 13, 0, tzinfo=UTC)
        assert used_on(conn, phone, date(2026, 11, 24)) == 0
        # the delivery run was down until the 26th: it goes then, with that day's slot
        late = admit(conn, phone, datetime(2026, 11, 26, 15, tzinfo=UTC), holding=verdict.day)
        assert (late.action, late.day) == ("send", date(2026, 11, 26))
        assert used_on(conn, phone, date(2026, 11, 25)) == 0
        assert used_on(conn, phone, date(2026, 11, 26)) == 1
        # holding today's slot, it goes without taking another
        again = admit(conn, phone, datetime(2026, 11, 26, 16, tzinfo=UTC), holding=late.day)
        assert (again.action, again.day) == ("send", date(2026, 11, 26))
        assert used_on(conn, phone, date(2026, 11, 26)) == 1
        release_slot(conn, phone, again.day)
        assert used_on(conn, phone, date(2026, 11, 26)) == 0


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
        ("STOP\u200b", "stop"),  # zero-width space
        ("\u200bS\u200cT\u200dO\u2060P", "stop"),  # zero-width characters inside it
        ("\ufeffstop", "stop"),  # a byte-order mark in front
        ("\uff33\uff34\uff2f\uff30", "stop"),  # full-width STOP
        ("\uff53\uff54\uff4f\uff50!", "stop"),  # full-width stop, lower case
        ("StopAll", "stop"),
        ("end", "stop"),
        ("cancel", "stop"),
        ("REVOKE", "stop"),
        ("optout", "stop"),
        ("Opt-Out", "stop"),
        ("  *STOP*  ", "stop"),
        ("unstop", "start"),
        ("OPTIN", "start"),
        ("\uff33\uff34\uff21\uff32\uff34", "start"),  # full-width START
        ("S T O P", None),  # not a keyword Twilio honours either
        ("HELP", None),
    ],
)
def test_carrier_keywords(body, word):
    assert inbound_keyword(body) == word
