"""The one work queue (pipelines/workqueue.py) that lookups, reports and the outbox run on:
declared moves only, a claim that exactly one of many racing workers wins, a sweep that
takes only what was left past its limit."""

from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from pipelines.accounts.tenants import add_tenant, get_tenant
from pipelines.db.engine import get_engine
from pipelines.db.schema import report_requests, reports
from pipelines.lookups.requests import LOOKUPS
from pipelines.notify.queue import EMAIL_OUTBOX, OUTREACH_OUTBOX
from pipelines.reports.requests import REPORTS, ReportRequestIn, build_request, request_report
from pipelines.workqueue import MessageState, ReportState, RequestState


def _requests(url: str, n: int) -> tuple[object, list[int]]:
    engine = get_engine(url)
    add_tenant(engine, "acme", "Acme")
    tenant = get_tenant(engine, "acme")
    ask = ReportRequestIn(kind="leads_export", format="csv")
    return engine, [request_report(engine, tenant["id"], ask) for _ in range(n)]


def _states(engine) -> dict[str, int]:
    with engine.connect() as conn:
        q = select(report_requests.c.state, func.count()).group_by(report_requests.c.state)
        return dict(conn.execute(q).all())


def test_a_move_not_declared_is_refused_and_changes_nothing(sqlite_url):
    engine, [rid] = _requests(sqlite_url, 1)
    with engine.begin() as conn, pytest.raises(ValueError, match=r"no move \['queued'\] → ready"):
        REPORTS.move(conn, rid, ReportState.READY, from_=ReportState.QUEUED)
    with engine.begin() as conn:  # nor does a declared move from a state the row is not in
        assert REPORTS.move(conn, rid, ReportState.READY) == []
    assert _states(engine) == {"queued": 1}


def test_each_queue_knows_its_finished_states_and_scope():
    assert LOOKUPS.finished() == {RequestState.DONE, RequestState.FAILED, RequestState.REFUSED}
    assert REPORTS.finished() == {ReportState.READY, ReportState.FAILED}
    assert EMAIL_OUTBOX.finished() == {MessageState.FAILED}  # sent may still fail (SMS)
    assert REPORTS.sources(ReportState.QUEUED) == ["building"]
    assert str(EMAIL_OUTBOX.scope.compile(compile_kwargs={"literal_binds": True})) == (
        "notifications.channel IN ('email')"
    )
    assert "'sms', 'voice', 'webhook'" in str(
        OUTREACH_OUTBOX.scope.compile(compile_kwargs={"literal_binds": True})
    )


def test_fifty_workers_claiming_the_same_rows_take_each_exactly_once(db_url):
    engine, ids = _requests(db_url, 20)

    def claim(_):
        with engine.begin() as conn:
            return REPORTS.claim(conn, ids)

    with ThreadPoolExecutor(max_workers=50) as pool:
        got = list(pool.map(claim, range(50)))
    taken = [i for batch in got for i in batch]
    assert sorted(taken) == ids  # every row once, none twice
    assert _states(engine) == {"building": 20}
    assert REPORTS.queued_after(get_engine(db_url), 0) == []


def test_the_sweep_takes_only_rows_left_working_past_the_limit(sqlite_url, frozen_clock):
    engine, (old, fresh, waiting) = _requests(sqlite_url, 3)
    with engine.begin() as conn:
        assert REPORTS.claim(conn, old) == [old]
    frozen_clock.shift(timedelta(minutes=11))
    with engine.begin() as conn:
        assert REPORTS.claim(conn, fresh) == [fresh]
        swept = REPORTS.sweep_stale(conn, ReportState.FAILED, timedelta(minutes=10), error="x")
        assert swept == [old]
        again = REPORTS.sweep_stale(conn, ReportState.FAILED, timedelta(minutes=10), error="x")
        assert again == []
    with engine.connect() as conn:
        rows = dict(conn.execute(select(report_requests.c.id, report_requests.c.state)).all())
    assert rows == {old: "failed", fresh: "building", waiting: "queued"}
    assert REPORTS.queued_after(engine, 0) == [waiting]
    assert REPORTS.queued_after(engine, waiting) == []


def test_a_report_two_runs_build_at_once_is_built_once(db_url):
    """The claim used to read the state and then write `building`: two runs of one request
    both built it. Now one builds, the other finds it taken and stops."""
    engine, [rid] = _requests(db_url, 1)
    with ThreadPoolExecutor(max_workers=8) as pool:
        built = list(pool.map(lambda _: build_request(engine, rid), range(8)))
    assert sum(b.report is not None for b in built) == 1
    assert {b.state for b in built} <= {"ready", "building"}
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(reports)).scalar_one() == 1
    assert _states(engine) == {"ready": 1}
