"""Right on every day of the year: the calendar, the schedules, one-off jobs, the alert window,
the digest and local dates, each under the six test clocks (tests/clock.py): a weekday, a
Saturday 02:00 and a Sunday 23:30 in Miami, Christmas (a court holiday) and both DST days.

Expectations are derived from the clock's instant, never from the machine's."""

from __future__ import annotations

import json
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from click.testing import CliRunner
from dagster import DagsterInstance, build_schedule_context, build_sensor_context
from sqlalchemy import select

from pipelines import calendar, clock
from pipelines.alerts.digest import queue_digests
from pipelines.alerts.match import match_leads
from pipelines.billing.ledger import grant
from pipelines.billing.notices import grant_notice
from pipelines.cli import main
from pipelines.control.runner import PartitionError, partition_keys
from pipelines.db.engine import get_engine
from pipelines.db.schema import alert_matches, notifications
from pipelines.location.definitions import defs
from resources.database import FolioDatabase
from tests.clock import CLOCKS
from tests.lead_helpers import add_leads, add_property, daily
from tests.listing_helpers import tenant_with_subscribers

MIAMI = ZoneInfo("America/New_York")
pytestmark = pytest.mark.clock_sensitive()


def test_the_clock_reads_the_test_instant_in_the_county(clock_name):
    target = CLOCKS[clock_name]
    assert abs((clock.now() - target).total_seconds()) < 60
    assert clock.today() == target.date()  # the county's date, not the machine's (Auckland)


def test_the_last_complete_business_day_is_a_day_that_has_ended(clock_name):
    today = CLOCKS[clock_name].date()
    last = calendar.last_complete_business_day()
    assert last < today and calendar.is_business_day(last)
    # nothing between it and today is a business day: it is the latest one
    assert not any(
        calendar.is_business_day(last + timedelta(days=n)) for n in range(1, (today - last).days)
    )
    expected = {
        "weekday": date(2026, 12, 1),  # Wednesday 10:00 → Tuesday
        "saturday_night": date(2026, 12, 4),  # Saturday 02:00 → Friday, ended at midnight
        "sunday_late": date(2026, 12, 4),
        "holiday": date(2026, 12, 24),  # Christmas (Friday) → Thursday
        "dst_spring": date(2027, 3, 12),  # Sunday → Friday
        "dst_fall": date(2026, 10, 30),  # Sunday → Friday
    }
    assert last == expected[clock_name]


def test_court_holidays_have_no_partition_and_business_days_all_do(clock_name):
    today = clock.today()
    keys = partition_keys("daily", today - timedelta(days=40), today)
    days = [date.fromisoformat(k) for k in keys]
    assert days == calendar.business_days(today - timedelta(days=40), today - timedelta(days=1))
    assert days[-1] == calendar.last_complete_business_day()
    for holiday in (date(2026, 11, 26), date(2026, 11, 27), date(2026, 12, 25)):
        assert not calendar.is_business_day(holiday)
        assert holiday.isoformat() not in keys


def test_the_last_complete_business_day_can_be_run_and_today_cannot(clock_name):
    last = calendar.last_complete_business_day()
    assert partition_keys("daily", last, last) == [last.isoformat()]
    with pytest.raises(PartitionError, match="no complete daily partition"):
        partition_keys("daily", clock.today(), clock.today())


def test_a_declared_holiday_list_replaces_the_default(monkeypatch, clock_name):
    monkeypatch.setenv("FOLIO_COURT_HOLIDAYS", "2026-12-24,2027-03-12")
    assert calendar.is_business_day(date(2026, 12, 25))  # Christmas is not on the list
    assert not calendar.is_business_day(date(2026, 12, 24))
    monkeypatch.setenv("FOLIO_COURT_HOLIDAYS", "none")
    assert calendar.is_business_day(date(2026, 11, 26))
    monkeypatch.setenv("FOLIO_COURT_HOLIDAYS", "2026-13-01")
    with pytest.raises(ValueError, match="FOLIO_COURT_HOLIDAYS"):
        calendar.is_business_day(date(2026, 12, 1))


def _last_tick_before(now: datetime, cron_hour: int, cron_minute: int, days: str) -> datetime:
    """The latest cron tick at hh:mm in the county on the given weekdays ("1-5" or "1")."""
    allowed = range(0, 5) if days == "1-5" else [0]
    local = now.astimezone(MIAMI)
    day = local.date()
    while True:
        tick = datetime.combine(day, time(cron_hour, cron_minute), MIAMI)
        if day.weekday() in allowed and tick <= local:
            return tick
        day -= timedelta(days=1)


@pytest.mark.parametrize(
    "name, hour, minute",
    [
        ("daily_ingestion_schedule", 6, 0),
        ("market_report_schedule", 7, 15),
        ("daily_digest_schedule", 7, 30),
    ],
)
def test_the_latest_daily_tick_takes_the_last_business_day_complete_at_that_tick(
    name, hour, minute, clock_name
):
    tick = _last_tick_before(clock.now(), hour, minute, "1-5")
    schedule = defs.resolve_schedule_def(name)
    ctx = build_schedule_context(
        scheduled_execution_time=tick, repository_def=defs.get_repository_def()
    )
    requests = schedule.evaluate_tick(ctx).run_requests
    expected = calendar.last_complete_business_day(tick)
    assert [r.partition_key for r in requests] == [expected.isoformat()]
    # the key is the partition's, so a holiday's tick repeats the day before: no second run
    assert requests[0].run_key.endswith(expected.isoformat())


def test_mondays_tick_takes_friday_and_the_day_after_a_holiday_repeats_the_last_one(clock_name):
    schedule = defs.resolve_schedule_def("daily_ingestion_schedule")

    def at(day: date) -> list[str]:
        ctx = build_schedule_context(
            scheduled_execution_time=datetime.combine(day, time(6), MIAMI),
            repository_def=defs.get_repository_def(),
        )
        return [r.partition_key for r in schedule.evaluate_tick(ctx).run_requests]

    assert at(date(2026, 11, 30)) == ["2026-11-25"]  # Monday after Thanksgiving and its Friday
    assert at(date(2026, 12, 7)) == ["2026-12-04"]  # Monday → Friday
    assert at(date(2026, 12, 28)) == ["2026-12-24"]  # Monday after Christmas (a Friday)


def test_a_one_off_job_at_a_local_time_fires_at_that_local_time(db_url, frozen_clock, clock_name):
    """`folio schedule add … --at 2026-12-04T12:00` means noon in Miami on both backends."""
    upgrade_url = db_url
    runner = CliRunner()
    when = clock.local(clock.now() + timedelta(hours=3)).replace(second=0, microsecond=0)
    local_text = when.strftime("%Y-%m-%dT%H:%M")  # no offset: the county's wall clock
    env = {"FOLIO_DATABASE_URL": upgrade_url, "COLUMNS": "80"}
    added = runner.invoke(
        main,
        ["schedule", "market_report", "--partition", "2026-12-02", "--at", local_text],
        env=env,
    )
    assert added.exit_code == 0, added.output
    zone_name = when.tzname()
    assert f"{when:%Y-%m-%d %H:%M} {zone_name}" in " ".join(added.output.split())
    listed = runner.invoke(main, ["schedule", "list"], env=env)
    assert f"{when:%Y-%m-%d %H:%M} {zone_name}" in listed.output
    as_json = json.loads(runner.invoke(main, ["schedule", "list", "--json"], env=env).output)
    assert datetime.fromisoformat(as_json[0]["run_at"]) == when

    sensor = defs.resolve_sensor_def("due_jobs_sensor")

    def due() -> list[str]:
        ctx = build_sensor_context(
            instance=DagsterInstance.ephemeral(),
            resources={"database": FolioDatabase(url=upgrade_url)},
        )
        result = sensor(ctx)
        return [r.run_key for r in result] if isinstance(result, list) else []

    frozen_clock.move_to(when - timedelta(minutes=1))
    assert due() == []  # a minute early: on SQLite it fired hours early before
    frozen_clock.move_to(when + timedelta(minutes=1))
    assert due() == ["scheduled-job-1"]


def test_a_time_with_an_offset_keeps_its_offset_and_a_bad_one_says_how(db_url, clock_name):
    runner = CliRunner()
    env = {"FOLIO_DATABASE_URL": db_url}
    later = (clock.now() + timedelta(days=2)).replace(microsecond=0)
    text = later.astimezone(timezone(timedelta(hours=2))).isoformat()
    assert runner.invoke(main, ["schedule", "cleanup", "--at", text], env=env).exit_code == 0
    rows = json.loads(runner.invoke(main, ["schedule", "list", "--json"], env=env).output)
    assert datetime.fromisoformat(rows[0]["run_at"]) == later
    bad = runner.invoke(main, ["schedule", "cleanup", "--at", "tomorrow"], env=env)
    assert bad.exit_code == 1
    assert "YYYY-MM-DDTHH:MM" in bad.output and "America/New_York" in bad.output


def test_the_alert_window_counts_county_days(db_url, clock_name):
    today = clock.today()
    _, (sub,), _ = tenant_with_subscribers(db_url, "acme", [{"lead_types": ["lien"]}])
    add_property(db_url, "3040120010010")
    edge, old = today - timedelta(days=7), today - timedelta(days=8)
    inside, outside = add_leads(
        db_url, [("lien", 80, edge, daily(edge)), ("lien", 80, old, daily(old))]
    )
    match_leads(get_engine(db_url))  # today from the clock
    with get_engine(db_url).connect() as conn:
        matched = conn.execute(select(alert_matches.c.item_id)).scalars().all()
    assert matched == [inside] and outside not in matched


def test_the_digest_of_the_last_business_day_goes_out_once(db_url, clock_name):
    day = calendar.last_complete_business_day()
    _, (sub,), _ = tenant_with_subscribers(
        db_url, "acme", [{"lead_types": ["lien"], "min_score": 0, "digest_only": True}]
    )
    add_property(db_url, "3040120010010")
    add_leads(db_url, [("lien", 80, day, daily(day))])
    engine = get_engine(db_url)
    match_leads(engine)
    assert queue_digests(engine, day) == {"digests": 1, "items": 1}
    assert queue_digests(engine, day) == {"digests": 0, "items": 0}
    with engine.connect() as conn:
        keys = (
            conn.execute(
                select(notifications.c.item_id).where(notifications.c.item_kind == "digest")
            )
            .scalars()
            .all()
        )
    assert keys == [int(day.strftime("%Y%m%d"))]


def test_billing_emails_show_the_county_date(db_url, clock_name):
    """A grant ending at 23:59 in Miami is the next day in UTC: the email says the local day."""
    tenant, _, _ = tenant_with_subscribers(db_url, "acme", [{}])
    engine = get_engine(db_url)
    last_day = clock.today() + timedelta(days=2)
    end = datetime.combine(last_day, time(23, 59, 59), MIAMI)
    gid, _ = grant(engine, tenant["id"], 30, "trial", kind="trial", expires_at=end)
    with engine.connect() as conn:
        notice = grant_notice(conn, gid, tenant["id"])
    assert notice["expires_at"] == last_day.isoformat()
    assert end.astimezone(timezone.utc).date() != last_day  # the bug this guards
