"""A request whose run died mid-build does not stay `building` forever."""

from datetime import datetime, timedelta, timezone

from sqlalchemy import update

from pipelines.db.engine import get_engine
from pipelines.db.schema import report_requests
from pipelines.reports.requests import (
    ReportRequestIn,
    fail_abandoned,
    request_report,
    request_view,
)
from tests.listing_helpers import tenant_with_subscribers


def test_a_request_left_building_fails_with_the_reason(sqlite_url):
    tenant, _, _ = tenant_with_subscribers(sqlite_url, "acme", [])
    engine = get_engine(sqlite_url)
    ask = ReportRequestIn(kind="leads_export", format="csv")
    stuck, fresh = (request_report(engine, tenant["id"], ask) for _ in range(2))
    long_ago = datetime.now(timezone.utc) - timedelta(minutes=30)
    with engine.begin() as conn:
        conn.execute(update(report_requests).values(state="building"))
        conn.execute(
            update(report_requests).where(report_requests.c.id == stuck).values(updated_at=long_ago)
        )
    assert fail_abandoned(engine, timedelta(minutes=10)) == [stuck]
    view = request_view(engine, tenant["id"], stuck)
    assert view["state"] == "failed" and "its run stopped" in view["error"]
    assert request_view(engine, tenant["id"], fresh)["state"] == "building"
