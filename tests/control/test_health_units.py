"""`folio health` reads the records API's unit balance: unhealthy below the critical level."""

from datetime import datetime, timezone

from pipelines.control.health import _records_api_units
from pipelines.db.engine import get_engine
from pipelines.db.schema import records_api_log
from pipelines.settings import get_settings


def _call(url, balance):
    with get_engine(url).begin() as conn:
        conn.execute(
            records_api_log.insert().values(
                query_kind="folio",
                attempt=1,
                duration_ms=3,
                units_balance=balance,
                created_at=datetime(2026, 11, 24, 12, tzinfo=timezone.utc),
            )
        )


def test_balance_below_500_is_unhealthy(sqlite_url):
    s = get_settings()
    first = _records_api_units(sqlite_url, s)
    assert (first.ok, first.detail) == (True, "no records API call yet")
    _call(sqlite_url, 500)
    assert _records_api_units(sqlite_url, s).ok is True
    _call(sqlite_url, 499)
    low = _records_api_units(sqlite_url, s)
    assert low.ok is False and low.detail.startswith("499 units left (as of 2026-11-24T12:00:00")
