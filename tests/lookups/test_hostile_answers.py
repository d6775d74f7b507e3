"""The records API answering what it should not: a `UnitsConsumed` that is negative, huge,
not a number or more than was reserved is charged as the reservation (with a warning in the
call's log row), so the daily cap stays exact and every request ends done or failed with
its units settled; an error text that echoes our URL (and so the key) is stored, logged and
shown redacted; a folio, cfn, book or page in anything but ASCII digits is refused."""

from __future__ import annotations

import json
import logging

import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient
from sqlalchemy import select, text

from pipelines import clock
from pipelines.db.engine import get_engine
from pipelines.db.schema import lookup_requests, records_api_log
from pipelines.lookups.client import RecordsApiClient
from pipelines.lookups.perform import perform_lookup
from pipelines.lookups.query import LookupQuery
from pipelines.lookups.requests import request_lookup, request_view
from pipelines.lookups.units import county_day, usage
from pipelines.settings import get_settings
from tests.builders import doc
from tests.fake_providers import FakeRecordsApi, api_records
from tests.listing_helpers import tenant_with_subscribers

KEY = "county-key-Hx72q"
FOLIO = "3040120010010"


def settings(**over):
    base = {**get_settings().__dict__, "records_api_url": "http://records.invalid", **over}
    return get_settings().__class__(**base)


def folio(n: int) -> str:
    return f"30401200{n:05d}"


@pytest.fixture
def api():
    with FakeRecordsApi(KEY) as server:
        for n in range(10):
            server.documents[("folioNumber", folio(n))] = api_records(
                doc(n + 1, "20260105", "WD", folio(n), grantee="ANA TORRES", consideration_1="9")
            )
        yield server


def queue(url, n=0, s=None, tenant_id=1) -> int:
    answer = request_lookup(
        get_engine(url), tenant_id, LookupQuery(folio=folio(n)), s or settings()
    )
    assert answer.outcome == "queued", answer
    return answer.request_id


def run(url, api, rid, s=None) -> str:
    client = RecordsApiClient(api.url, timeout=2.0, api_key=KEY)
    return perform_lookup(get_engine(url), client, rid, s or settings(), sleep=lambda _: None)


def today():
    return county_day(clock.now(), "America/New_York")


def log_rows(url) -> list[dict]:
    with get_engine(url).connect() as conn:
        return [dict(r) for r in conn.execute(select(records_api_log)).mappings()]


CONSUMED = [-50, 10**30, "abc", 1.5, True, None, 2]
CONSUMED_IDS = ["negative", "huge", "text", "fraction", "bool", "null", "more-than-reserved"]


def warned(consumed) -> str:
    return (
        f"warning: UnitsConsumed {json.dumps(consumed)} is not a whole number from 0 to 1 "
        f"(the units reserved): charged 1"
    )


def check_charged_the_reservation(url, api, n, consumed):
    """Lookup n, answered `consumed`: done, charged the 1 unit reserved, with a warning."""
    api.override = {"UnitsConsumed": consumed}
    rid = queue(url, n)
    assert run(url, api, rid) == "done"
    view = request_view(get_engine(url), 1, rid)
    assert (view["state"], view["progress"], view["result"]["owner_name"]) == (
        "done",
        100,
        "ANA TORRES",
    )
    with get_engine(url).connect() as conn:
        assert usage(conn, today()) == (0, n + 1)  # one reservation per lookup, exactly
    row = log_rows(url)[-1]
    assert (row["request_id"], row["status"], row["units_consumed"], row["http_status"]) == (
        rid,
        "Success",
        1,
        200,
    )
    assert row["error"] == warned(consumed)


@pytest.mark.parametrize("consumed", CONSUMED, ids=CONSUMED_IDS)
def test_an_impossible_units_consumed_is_charged_as_the_reservation(sqlite_url, api, consumed):
    check_charged_the_reservation(sqlite_url, api, 0, consumed)


def test_every_impossible_units_consumed_on_postgresql(pg_url, api):
    for n, consumed in enumerate(CONSUMED):
        check_charged_the_reservation(pg_url, api, n, consumed)


def test_an_honest_units_consumed_is_charged_with_no_warning(sqlite_url, api):
    api.override = {"UnitsConsumed": 0}
    assert run(sqlite_url, api, queue(sqlite_url)) == "done"
    with get_engine(sqlite_url).connect() as conn:
        assert usage(conn, today()) == (0, 0)
    assert [(r["units_consumed"], r["error"]) for r in log_rows(sqlite_url)] == [(0, None)]


def test_negative_consumption_cannot_lift_the_daily_cap(db_url, api):
    """Cap 3: three lookups each answered −50 spend exactly 3; the fourth is refused."""
    s = settings(lookup_daily_unit_cap=3)
    api.override = {"UnitsConsumed": -50}
    for n in range(3):
        assert run(db_url, api, queue(db_url, n, s), s) == "done"
    refused = request_lookup(get_engine(db_url), 1, LookupQuery(folio=folio(3)), s)
    assert (refused.outcome, refused.reason) == (
        "refused",
        "today's cap of 3 records-API units is used up",
    )
    with get_engine(db_url).connect() as conn:
        assert usage(conn, today()) == (0, 3)
    assert len(api.requests) == 3


def test_an_error_answer_with_an_impossible_units_consumed_fails_charged_the_reservation(
    db_url, api
):
    for n, consumed in enumerate([-50, 10**30, "abc"]):
        api.script, api.override = ["error"], {"UnitsConsumed": consumed}
        rid = queue(db_url, n)
        assert run(db_url, api, rid) == "failed"
        view = request_view(get_engine(db_url), 1, rid)
        assert (view["state"], view["progress"]) == ("failed", 100)
        with get_engine(db_url).connect() as conn:
            assert usage(conn, today()) == (0, n + 1)
        row = log_rows(db_url)[-1]
        assert row["units_consumed"] == 1 and row["error"] == (
            "the county refused the lookup: Error Parameter1 is not a valid folio number; "
            + warned(consumed)
        )


def test_an_impossible_balance_is_ignored_with_a_warning(db_url, api, tmp_path):
    for n, balance in enumerate([10**30, "lots", -(10**12)]):
        api.override = {"UnitsBalance": balance}
        assert run(db_url, api, queue(db_url, n)) == "done"
        row = log_rows(db_url)[-1]
        assert (row["units_balance"], row["units_consumed"]) == (None, 1)
        assert row["error"] == (
            f"warning: UnitsBalance {json.dumps(balance)} is not a whole number the log can "
            "hold: ignored"
        )
    assert not (tmp_path / "data" / "outbox" / "admin_alerts").exists()  # no alert on them


def test_a_long_status_is_kept_short_and_the_request_fails(db_url, api):
    api.override = {"Status": "E" * 300, "StatusDesc": "x" * 5000}
    rid = queue(db_url)
    assert run(db_url, api, rid) == "failed"
    [row] = log_rows(db_url)
    assert row["status"] == "E" * 20
    view = request_view(get_engine(db_url), 1, rid)
    assert view["state"] == "failed" and len(view["error"]) <= 500
    with get_engine(db_url).connect() as conn:
        assert usage(conn, today()) == (0, 1)


def test_a_crash_after_the_answer_fails_the_request_and_settles_its_units(
    sqlite_url, api, monkeypatch
):
    """Whatever breaks after the claim, the request ends failed, its units settled once."""
    import pipelines.lookups.perform as perform

    def broken(*args, **kwargs):
        raise RuntimeError("merge exploded")

    monkeypatch.setattr(perform, "merge_properties", broken)
    rid = queue(sqlite_url)
    with pytest.raises(RuntimeError, match="merge exploded"):
        run(sqlite_url, api, rid)
    view = request_view(get_engine(sqlite_url), 1, rid)
    assert (view["state"], view["progress"], view["error"]) == (
        "failed",
        100,
        "the lookup stopped on an internal error (RuntimeError); the units the county "
        "charged were counted",
    )
    with get_engine(sqlite_url).connect() as conn:
        assert usage(conn, today()) == (0, 1)
        assert conn.execute(text("SELECT count(*) FROM staged_lookup_records")).scalar() == 0


def test_a_crash_before_any_answer_fails_the_request_and_releases_its_units(
    sqlite_url, api, monkeypatch
):
    import pipelines.lookups.perform as perform

    def broken(*args, **kwargs):
        raise RuntimeError("cannot log")

    monkeypatch.setattr(perform, "_log", broken)
    api.script = ["500"]
    rid = queue(sqlite_url)
    with pytest.raises(RuntimeError, match="cannot log"):
        run(sqlite_url, api, rid)
    view = request_view(get_engine(sqlite_url), 1, rid)
    assert (view["state"], view["error"]) == (
        "failed",
        "the lookup stopped on an internal error (RuntimeError); its units were released",
    )
    with get_engine(sqlite_url).connect() as conn:
        assert usage(conn, today()) == (0, 0)


def test_a_request_failed_as_abandoned_meanwhile_is_not_settled_twice(sqlite_url, api):
    """The run outlived the abandoned-request sweep, which released the units: the answer
    still counts what the county charged, once, and the request stays failed."""
    from datetime import timedelta

    from pipelines.lookups.requests import fail_abandoned

    engine, rid = get_engine(sqlite_url), queue(sqlite_url)

    class SlowClient(RecordsApiClient):
        def call(self, query):
            answer = super().call(query)
            assert fail_abandoned(engine, timedelta(0), now=clock.now() + timedelta(hours=1))
            return answer

    client = SlowClient(api.url, timeout=2.0, api_key=KEY)
    assert perform_lookup(engine, client, rid, settings(), sleep=lambda _: None) == "failed"
    view = request_view(engine, 1, rid)
    assert view["state"] == "failed" and "units were released" in view["error"]
    with engine.connect() as conn:
        assert usage(conn, today()) == (0, 1)


# -- the key never reaches a tenant ---------------------------------------------------------


def _everything(url) -> str:
    with get_engine(url).connect() as conn:
        return "\n".join(
            json.dumps([list(r) for r in conn.execute(text(f"SELECT * FROM {t}"))], default=str)
            for t in ("lookup_requests", "records_api_log", "staged_lookup_records", "properties")
        )


@pytest.mark.parametrize("key_in_env", [False, True], ids=["key-given", "key-from-env"])
def test_an_error_echoing_the_url_and_key_is_redacted_everywhere(
    sqlite_url, api, caplog, monkeypatch, key_in_env
):
    from pipelines.http.app import app

    caplog.set_level(logging.DEBUG)
    monkeypatch.setenv("FOLIO_DATABASE_URL", sqlite_url)
    monkeypatch.setenv("FOLIO_RECORDS_API_URL", api.url)
    if key_in_env:
        monkeypatch.setenv("FOLIO_RECORDS_API_KEY", KEY)
    _, _, tenant_key = tenant_with_subscribers(sqlite_url, "acme", [])
    http, h = TestClient(app), {"X-API-Key": tenant_key}
    posted = http.post("/lookups", json={"folio": FOLIO}, headers=h)
    assert posted.status_code == 202, posted.text
    rid = posted.json()["id"]
    api.script = ["echo"]
    client = RecordsApiClient(api.url, timeout=2.0, api_key=None if key_in_env else KEY)
    assert perform_lookup(get_engine(sqlite_url), client, rid, get_settings()) == "failed"
    assert api.requests[0]["query"]["authKey"] == KEY  # the key was sent...
    shown = http.get(f"/lookups/{rid}", headers=h)
    assert shown.status_code == 200
    error = shown.json()["error"]
    assert error.startswith(
        "the county refused the lookup: Error cannot parse GET http://127.0.0.1"
    )
    assert "folioNumber=3040120010010&authKey=[redacted]" in error
    # ...and it is in no response, table or log
    assert KEY not in shown.text and KEY not in _everything(sqlite_url) and KEY not in caplog.text
    [row] = log_rows(sqlite_url)
    assert row["status_desc"].endswith("authKey=[redacted]")


def test_a_key_stored_before_redaction_is_not_shown(sqlite_url, monkeypatch):
    from sqlalchemy import update

    monkeypatch.setenv("FOLIO_RECORDS_API_KEY", KEY)
    rid = queue(sqlite_url)
    with get_engine(sqlite_url).begin() as conn:
        conn.execute(
            update(lookup_requests).values(
                state="failed", error=f"refused: GET /x?a=1&authKey={KEY}"
            )
        )
    view = request_view(get_engine(sqlite_url), 1, rid)
    assert view["error"] == "refused: GET /x?a=1&authKey=[redacted]"


def test_a_key_echoed_bare_is_redacted_too(sqlite_url, api):
    api.script, api.override = ["error"], {"StatusDesc": f"key {KEY} is not valid"}
    rid = queue(sqlite_url)
    assert run(sqlite_url, api, rid) == "failed"
    assert request_view(get_engine(sqlite_url), 1, rid)["error"] == (
        "the county refused the lookup: Error key [redacted] is not valid"
    )
    assert KEY not in _everything(sqlite_url)


# -- ASCII digits only ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "fields, message",
    [
        (
            {"folio": "３０-４０１２-００１-００１０"},
            "folio '３０-４０１２-００１-００１０' is not",
        ),
        ({"folio": "٣٠٤٠١٢٠٠١٠٠١٠"}, "is not a 13-digit folio"),
        ({"folio": "30.4012.001.0010"}, "digits 0-9 and dashes only"),
        ({"folio": "30 4012 001 0010"}, "digits 0-9 and dashes only"),
        ({"cfn": "２０２６-7"}, "cfn '２０２６-7' is not YYYY-NNNNNNN"),
        ({"cfn": "2026-７"}, "is not YYYY-NNNNNNN"),
        ({"book": "３１", "page": "1"}, "book '３１' is not a number"),
        ({"book": "31", "page": "٢"}, "page '٢' is not a number"),
    ],
)
def test_a_query_in_other_digits_is_refused(fields, message):
    from pydantic import ValidationError

    with pytest.raises(ValidationError, match=message):
        LookupQuery(**fields)


def test_post_lookups_refuses_a_full_width_folio_with_422(sqlite_url, monkeypatch, api):
    from pipelines.http.app import app

    monkeypatch.setenv("FOLIO_DATABASE_URL", sqlite_url)
    monkeypatch.setenv("FOLIO_RECORDS_API_URL", api.url)
    _, _, key = tenant_with_subscribers(sqlite_url, "acme", [])
    answer = TestClient(app).post(
        "/lookups", json={"folio": "３０-４０１２-００１-００１０"}, headers={"X-API-Key": key}
    )
    assert answer.status_code == 422 and "is not a 13-digit folio" in answer.text
    with get_engine(sqlite_url).connect() as conn:
        assert conn.execute(select(lookup_requests)).first() is None


def test_folio_lookup_refuses_a_full_width_folio_clearly(sqlite_url, monkeypatch, api):
    from pipelines.cli.lookup import lookup

    monkeypatch.setenv("FOLIO_DATABASE_URL", sqlite_url)
    monkeypatch.setenv("FOLIO_RECORDS_API_URL", api.url)
    tenant_with_subscribers(sqlite_url, "acme", [])
    result = CliRunner().invoke(lookup, ["３０-４０１２-００１-００１０", "--tenant", "acme"])
    assert result.exit_code == 1
    assert "lookup refused: folio '３０-４０１２-００１-００１０' is not a 13-digit folio" in (
        " ".join(result.output.split())
    )
    assert "digits 0-9 and dashes only" in " ".join(result.output.split())
