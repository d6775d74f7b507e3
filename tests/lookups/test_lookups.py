"""Lookups through the county records API, against a local fake that speaks its wire format:
the answer's shapes, retries, the cache, the exact unit cap, balance alerts, one merge rule."""

from __future__ import annotations

import json
import logging
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select, text, update

from pipelines.county.ingest import stage_file
from pipelines.county.merge import merge_properties
from pipelines.db.engine import get_engine
from pipelines.db.schema import (
    lookup_requests,
    lookup_unit_days,
    properties,
    records_api_alerts,
    records_api_log,
)
from pipelines.lookups.client import RecordsApiClient
from pipelines.lookups.perform import perform_lookup
from pipelines.lookups.query import LookupQuery
from pipelines.lookups.requests import request_lookup, request_view
from pipelines.lookups.units import county_day, usage
from pipelines.settings import get_settings
from tests.builders import doc
from tests.fake_providers import FakeRecordsApi, api_records

KEY = "county-key-Zq81x"  # recognisable: it must appear nowhere but in the requests it authorises
FOLIO = "3040120010010"
DEED = doc(
    7,
    "20260105",
    "WD",
    FOLIO,
    grantee="ANA TORRES",
    consideration_1="350000",
    address="12 NW 5TH ST",
    city="MIAMI",
    zip="33128",
)


@pytest.fixture
def api():
    with FakeRecordsApi(KEY) as server:
        server.documents[("folioNumber", FOLIO)] = api_records(DEED)
        server.documents[("cfnYear+cfnSeq", "2026+7")] = api_records(DEED)
        yield server


def settings(**over):
    base = {**get_settings().__dict__, "records_api_url": "http://records.invalid", **over}
    return get_settings().__class__(**base)


def queue(url, query=None, tenant_id=1, s=None):
    answer = request_lookup(
        get_engine(url), tenant_id, query or LookupQuery(folio=FOLIO), s or settings()
    )
    assert answer.outcome == "queued", answer
    return answer.request_id


def run(url, api, rid, s=None, sleeps=None):
    client = RecordsApiClient(api.url, timeout=1.0, api_key=KEY)
    slept = [] if sleeps is None else sleeps
    return perform_lookup(get_engine(url), client, rid, s or settings(), sleep=slept.append)


@pytest.mark.parametrize("action", ["ok", "single"])
def test_a_list_or_a_single_record_merges_the_property(db_url, api, action):
    api.script = [action]
    if action == "single":  # one object, not a list: the grantee's party row alone
        api.documents[("folioNumber", FOLIO)] = api_records(DEED[1:])
    rid = queue(db_url)
    assert run(db_url, api, rid) == "done"
    view = request_view(get_engine(db_url), 1, rid)
    assert (view["state"], view["attempts"], view["progress"]) == ("done", 1, 100)
    prop = view["result"]
    assert (prop["folio"], prop["owner_name"], prop["last_sale_price"], prop["address"]) == (
        FOLIO,
        "ANA TORRES",
        350000.0,
        "12 NW 5TH ST",
    )
    with get_engine(db_url).connect() as conn:
        log = conn.execute(select(records_api_log)).mappings().one()
        assert (log["status"], log["units_consumed"], log["records"], log["request_id"]) == (
            "Success",
            1,
            2 if action == "ok" else 1,
            rid,
        )
        assert usage(conn, county_day(datetime.now(timezone.utc), "America/New_York")) == (0, 1)
        src = (
            conn.execute(text("SELECT DISTINCT source_file FROM staged_lookup_records"))
            .scalars()
            .all()
        )
    assert src == [f"records_api/{log['id']}"]  # lineage: the records API and the call


def test_no_records_is_done_without_a_property(sqlite_url, api):
    api.script = ["absent"]
    rid = queue(sqlite_url)
    assert run(sqlite_url, api, rid) == "done"
    view = request_view(get_engine(sqlite_url), 1, rid)
    assert view["result"] is None and view["error"] == f"the county has no record for folio {FOLIO}"


def test_an_error_status_fails_with_the_county_s_text_and_is_not_retried(sqlite_url, api):
    api.script = ["error"]
    rid = queue(sqlite_url)
    sleeps: list[float] = []
    assert run(sqlite_url, api, rid, sleeps=sleeps) == "failed"
    view = request_view(get_engine(sqlite_url), 1, rid)
    assert view["error"] == (
        "the county refused the lookup: Error Parameter1 is not a valid folio number"
    )
    assert (sleeps, len(api.requests)) == ([], 1)
    with get_engine(sqlite_url).connect() as conn:  # it answered and consumed 0: nothing held
        assert usage(conn, county_day(datetime.now(timezone.utc), "America/New_York")) == (0, 0)


def test_500_then_200_retries_once_after_2_seconds(sqlite_url, api):
    api.script = ["500", "ok"]
    rid = queue(sqlite_url)
    sleeps: list[float] = []
    assert run(sqlite_url, api, rid, sleeps=sleeps) == "done"
    assert sleeps == [2.0] and len(api.requests) == 2
    with get_engine(sqlite_url).connect() as conn:
        rows = conn.execute(select(records_api_log.c.attempt, records_api_log.c.http_status)).all()
    assert [tuple(r) for r in rows] == [(1, 500), (2, 200)]


def test_timeouts_exhaust_the_budget_then_release_the_units(sqlite_url, api):
    api.script, api.hang_seconds = ["hang", "hang", "hang"], 2.0
    rid = queue(sqlite_url)
    sleeps: list[float] = []
    assert run(sqlite_url, api, rid, sleeps=sleeps) == "failed"
    assert sleeps == [2.0, 4.0] and len(api.requests) == 3
    view = request_view(get_engine(sqlite_url), 1, rid)
    assert (view["state"], view["attempts"], view["error"]) == ("failed", 3, "no answer within 1 s")
    with get_engine(sqlite_url).connect() as conn:
        assert usage(conn, county_day(datetime.now(timezone.utc), "America/New_York")) == (0, 0)


def test_a_request_already_taken_is_not_performed_twice(sqlite_url, api):
    rid = queue(sqlite_url)
    assert run(sqlite_url, api, rid) == "done"
    assert run(sqlite_url, api, rid) == "done" and len(api.requests) == 1


def test_fresh_data_answers_without_a_call_and_stale_data_makes_one(sqlite_url, api):
    engine = get_engine(sqlite_url)
    assert run(sqlite_url, api, queue(sqlite_url)) == "done"
    for query in (LookupQuery(folio="30-4012-001-0010"), LookupQuery(cfn="2026-7")):
        answer = request_lookup(engine, 1, query, settings())
        assert (answer.outcome, answer.property["owner_name"]) == ("cache", "ANA TORRES")
    assert len(api.requests) == 1  # the cache spent nothing
    with engine.begin() as conn:
        conn.execute(
            update(properties).values(updated_at=datetime.now(timezone.utc) - timedelta(days=31))
        )
    assert run(sqlite_url, api, queue(sqlite_url)) == "done"
    assert len(api.requests) == 2


def test_the_merged_property_equals_the_bulk_file_merge_of_the_same_document(tmp_path, api):
    from pipelines.county.ingest import fetch_file
    from pipelines.county.sources import LocalFolderSource
    from pipelines.db.migrate import upgrade
    from pipelines.db.schema.layouts import get_layout
    from pipelines.stores.archive import LocalArchive
    from tests.builders import write_partition

    bulk_url, api_url = (f"sqlite:///{tmp_path / n}" for n in ("bulk.db", "api.db"))
    for url in (bulk_url, api_url):
        upgrade(url)
    write_partition(tmp_path / "src", "2026-01-05", {"OfficialRecords.exp": DEED})
    layout, bulk = get_layout("official_records"), get_engine(bulk_url)
    archive = LocalArchive(tmp_path / "archive")
    fetch_file(
        bulk,
        LocalFolderSource(tmp_path / "src"),
        layout,
        "2026-01-05",
        tmp_path / "landing",
        archive,
    )
    stage_file(bulk, layout, "2026-01-05", archive)
    with bulk.begin() as conn:
        merge_properties(conn, ["2026-01-05"])
    assert run(api_url, api, queue(api_url)) == "done"
    cols = [
        c
        for c in properties.c
        if c.name not in ("first_seen_at", "updated_at") and not c.name.endswith("_rank")
    ]
    rows = []
    for url in (bulk_url, api_url):
        with get_engine(url).connect() as conn:
            rows.append(dict(conn.execute(select(*cols)).mappings().one()))
    assert rows[0] == rows[1] and rows[0]["owner_name"] == "ANA TORRES"


def test_the_daily_cap_is_exact_under_concurrency(db_url, api):
    """37 units left, 100 requests at once: exactly 37 queued and 37 calls; 63 refused."""
    s = settings()
    engine, day = get_engine(db_url), county_day(datetime.now(timezone.utc), s.timezone)
    with engine.begin() as conn:
        conn.execute(
            lookup_unit_days.insert().values(
                day=day, reserved=0, consumed=s.lookup_daily_unit_cap - 37
            )
        )
    folios = [f"30401200{i:05d}" for i in range(100)]
    with ThreadPoolExecutor(max_workers=20) as pool:
        answers = list(
            pool.map(lambda f: request_lookup(engine, 1, LookupQuery(folio=f), s), folios)
        )
    queued = [a.request_id for a in answers if a.outcome == "queued"]
    refused = [a for a in answers if a.outcome == "refused"]
    assert (len(queued), len(refused)) == (37, 63)
    assert {a.reason for a in refused} == {"today's cap of 500 records-API units is used up"}
    with ThreadPoolExecutor(max_workers=10) as pool:
        states = list(pool.map(lambda rid: run(db_url, api, rid), queued))
    assert states == ["done"] * 37 and len(api.requests) == 37
    with engine.connect() as conn:
        assert usage(conn, day) == (0, s.lookup_daily_unit_cap)
        counts = dict(
            conn.execute(
                select(lookup_requests.c.state, text("count(*)")).group_by(lookup_requests.c.state)
            ).all()
        )
    assert counts == {"done": 37, "refused": 63}


def test_balance_alerts_fire_once_per_threshold_per_day(sqlite_url, api, tmp_path):
    engine = get_engine(sqlite_url)
    for balance, expected in [(950, ["warning"]), (940, []), (450, ["critical"]), (400, [])]:
        api.balance = balance + 1  # the call consumes one
        before = {
            r[1]
            for r in engine.connect().execute(
                select(records_api_alerts.c.day, records_api_alerts.c.level)
            )
        }
        assert (
            run(sqlite_url, api, queue(sqlite_url, LookupQuery(folio=f"3040120{balance:06d}")))
            == "done"
        )
        after = {
            r[1]
            for r in engine.connect().execute(
                select(records_api_alerts.c.day, records_api_alerts.c.level)
            )
        }
        assert sorted(after - before) == expected, balance
    files = sorted(p.name for p in (tmp_path / "data" / "outbox" / "admin_alerts").iterdir())
    day = county_day(datetime.now(timezone.utc), "America/New_York")
    assert files == [f"records-api-critical-{day}.txt", f"records-api-warning-{day}.txt"]


def test_the_key_appears_in_no_log_table_or_error(sqlite_url, api, caplog):
    caplog.set_level(logging.DEBUG)
    api.script = ["500", "error"]
    rid = queue(sqlite_url)
    assert run(sqlite_url, api, rid) == "failed"
    assert run(sqlite_url, api, queue(sqlite_url, LookupQuery(cfn="2026-0000007"))) == "done"
    assert all(r["query"]["authKey"] == KEY for r in api.requests)  # it was sent...
    assert KEY not in caplog.text  # ...and never logged
    with get_engine(sqlite_url).connect() as conn:
        for table in ("lookup_requests", "records_api_log", "staged_lookup_records", "properties"):
            dump = json.dumps(
                [list(r) for r in conn.execute(text(f"SELECT * FROM {table}"))], default=str
            )
            assert KEY not in dump, table


@pytest.mark.parametrize(
    "fields, message",
    [
        ({}, "give exactly one of: folio, cfn, or book with page"),
        ({"folio": "12", "cfn": "2026-1"}, "give exactly one of"),
        ({"folio": "abc"}, "folio 'abc' is not a 13-digit folio"),
        ({"cfn": "26-1"}, "cfn '26-1' is not YYYY-NNNNNNN"),
        ({"book": "31234"}, "book and page go together"),
        ({"book": "x", "page": "1"}, "book 'x' is not a number"),
    ],
)
def test_a_bad_query_is_refused_naming_the_field(fields, message):
    from pydantic import ValidationError

    with pytest.raises(ValidationError, match=message):
        LookupQuery(**fields)


def test_without_a_configured_api_nothing_is_queued_or_reserved(sqlite_url):
    answer = request_lookup(get_engine(sqlite_url), 1, LookupQuery(folio=FOLIO), get_settings())
    assert answer.outcome == "unavailable" and "set FOLIO_RECORDS_API_URL" in answer.reason
    with get_engine(sqlite_url).connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM lookup_requests")).scalar() == 0
        assert conn.execute(text("SELECT count(*) FROM lookup_unit_days")).scalar() == 0


def test_a_request_whose_run_died_mid_call_is_failed_and_its_units_released_once(sqlite_url):
    from pipelines.lookups.requests import fail_abandoned

    engine, s = get_engine(sqlite_url), settings()
    rid = queue(sqlite_url)
    day = county_day(datetime.now(timezone.utc), s.timezone)
    later = datetime.now(timezone.utc) + timedelta(minutes=11)
    with engine.begin() as conn:  # claimed by a run that then died
        conn.execute(
            update(lookup_requests).where(lookup_requests.c.id == rid).values(state="running")
        )
    assert fail_abandoned(engine, timedelta(minutes=10)) == []  # not yet stale
    assert fail_abandoned(engine, timedelta(minutes=10), now=later) == [rid]
    assert fail_abandoned(engine, timedelta(minutes=10), now=later) == []  # once
    view = request_view(engine, 1, rid)
    assert view["state"] == "failed" and "units were released" in view["error"]
    with engine.connect() as conn:
        assert usage(conn, day) == (0, 0)
