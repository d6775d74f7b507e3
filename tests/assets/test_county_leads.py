"""Weekly and monthly files matched to properties and turned into leads (SQLite and PostgreSQL)."""

from datetime import date

import pytest
from sqlalchemy import select

from pipelines.db.engine import get_engine
from pipelines.db.schema import leads as lead_table
from pipelines.db.schema import record_matches
from pipelines.leads.hot import is_hot, new_leads_after
from tests.builders import doc, line, write_partition
from tests.dagster_helpers import materializations, run_daily
from tests.flow import lead_rows

F1, F2, F3, F4, F5, F6, F7 = (f"30401200100{i}0" for i in range(1, 8))


def _properties(src):
    rows = []
    for seq, (folio, owner, address, zip_) in enumerate(
        [
            (F1, "GARCIA MARIA", "100 NW 5TH ST", "33125"),
            (F2, "SMITH JOHN", "200 SW 8TH ST APT 4", "33130"),
            (F3, "LOPEZ ANA", "300 CORAL WAY", "33145"),
            (F4, "OWNER FOUR", "500 BIRD RD", "33155"),  # two folios, one address: ambiguous
            (F5, "OWNER FIVE", "500 BIRD RD", "33155"),
            (F6, "DIAZ PEDRO", "600 SUNSET DR", "33143"),  # two folios, one owner name: ambiguous
            (F7, "PEDRO DIAZ", "700 SUNSET DR", "33143"),
        ],
        start=1,
    ):
        rows += doc(
            seq,
            "20260105",
            "WD",
            folio,
            grantee=owner,
            consideration_1="300000",
            address=address,
            city="MIAMI",
            zip=zip_,
        )
    write_partition(src, "2026-01-05", {"OfficialRecords.exp": rows})


def _weekly(src):
    ev = [
        line(
            "evictions",
            case_number="2026-000001-CC-05",
            filing_date="01/06/2026",
            plaintiff="LANDLORD ONE",
            defendant="TENANT",
            property_address="200 S.W. 8th Street",
            unit="4",
            zip="33130",
        ),
        line(
            "evictions",
            case_number="2026-000002-CC-05",
            filing_date="01/06/2026",
            property_address="500 Bird Road",
            zip="33155",
        ),
        line(
            "evictions",
            case_number="2026-000003-CC-05",
            filing_date="01/06/2026",
            property_address="999 Nowhere Ave",
        ),
        line(
            "evictions",
            case_number="2026-000004-CC-05",
            filing_date="01/06/2026",
            property_address="200 SW 8TH ST",
            unit="5",
            zip="33130",
        ),
    ]
    ind = [
        line(
            "indebtedness",
            cfn="2026-0000901",
            recorded_date="01/07/2026",
            doc_type="LIE",
            debtor_name="SMITH, JOHN",
            amount="$12,000.00",
        ),
        line(
            "indebtedness",
            cfn="2026-0000902",
            recorded_date="01/07/2026",
            doc_type="LIE",
            debtor_name="PEDRO DIAZ",
        ),
    ]
    write_partition(
        src, "2026-01-05", {"Evictions.exp": ev, "Indebtedness.exp": ind}, cadence="weekly"
    )


def _monthly(src, month="2026-01", probate_extra=()):
    probate = [
        line(
            "probate",
            case_number="2026-000100-CP-02",
            filing_date="01/20/2026",
            decedent_name="GARCIA MARIA",
            decedent_address="100 N.W. 5th St",
            zip="33125",
            petitioner_name="LUIS GARCIA",
            petitioner_address="1 HEIR LN, ORLANDO FL",
        ),
        line(
            "probate",
            case_number="2026-000101-CP-02",
            filing_date="01/21/2026",
            decedent_name="DIAZ PEDRO",
        ),
        line(
            "probate",
            case_number="2026-000102-CP-02",
            filing_date="01/22/2026",
            decedent_name="X Y",
            decedent_address="500 BIRD RD",
        ),
        *probate_extra,
    ]
    verdicts = [
        line(
            "verdicts",
            case_number="2026-000200-CA-01",
            verdict_date="01/15/2026",
            defendant="ANA LOPEZ",
            defendant_address="300 Coral Way",
            zip="33145",
            amount="50,000",
        ),
        line(
            "verdicts",
            case_number="2026-000201-CA-01",
            verdict_date="01/16/2026",
            defendant="NOBODY HERE",
            defendant_address="1 Fake St",
        ),
    ]
    write_partition(
        src, month, {"Probate.exp": probate, "Verdicts.exp": verdicts}, cadence="monthly"
    )


@pytest.fixture
def world(db_url, tmp_path):
    src = tmp_path / "src"
    _properties(src)
    _weekly(src)
    _monthly(src)
    assert run_daily(db_url, src, ["2026-01-05"], tmp_path / "landing").success
    return db_url, src, tmp_path / "landing"


def test_weekly_matches_and_leads(world):
    db_url, src, landing = world
    result = run_daily(db_url, src, ["2026-01-05"], landing, cadence="weekly")
    md = materializations(result, "eviction_and_lien_leads")
    assert {
        k: md[k]
        for k in (
            "evictions_matched",
            "evictions_ambiguous",
            "evictions_unmatched",
            "evictions_by_address",
            "indebtedness_matched",
            "indebtedness_ambiguous",
            "indebtedness_by_owner_name",
            "eviction_leads_created",
            "lien_leads_created",
        )
    } == {
        "evictions_matched": 1,
        "evictions_ambiguous": 1,
        "evictions_unmatched": 2,
        "evictions_by_address": 1,
        "indebtedness_matched": 1,
        "indebtedness_ambiguous": 1,
        "indebtedness_by_owner_name": 1,
        "eviction_leads_created": 1,
        "lien_leads_created": 1,
    }
    with get_engine(db_url).connect() as conn:
        m = record_matches.c
        rows = conn.execute(
            select(m.record_key, m.status, m.method, m.folio, m.confidence, m.reason)
            .where(m.file_type == "evictions")
            .order_by(m.record_key)
        ).all()
    assert [tuple(r) for r in rows] == [
        ("2026-000001-CC-05", "matched", "address", F2, 0.95, None),
        ("2026-000002-CC-05", "ambiguous", None, None, None, "address matches 2 folios"),
        ("2026-000003-CC-05", "unmatched", None, None, None, "no property with this address"),
        (
            "2026-000004-CC-05",
            "unmatched",
            None,
            None,
            None,
            "no property with this address",
        ),  # other unit
    ]
    got = {
        (r["lead_type"], r["folio"]): r
        for r in lead_rows(db_url)
        if r["lead_type"] in ("eviction", "lien")
    }
    assert set(got) == {("eviction", F2), ("lien", F2)}
    ev = got[("eviction", F2)]
    assert (
        ev["base_score"],
        ev["product"],
        ev["contact_name"],
        ev["contact_address"],
        ev["source_key"],
    ) == (22, "B", "LANDLORD ONE", "200 S.W. 8th Street #4 33130", "2026-000001-CC-05")
    assert (got[("lien", F2)]["base_score"], got[("lien", F2)]["source_asset"]) == (
        12,
        "staged_indebtedness",
    )


def test_monthly_probate_is_hot_and_ambiguity_makes_no_lead(world):
    db_url, src, landing = world
    result = run_daily(db_url, src, ["2026-01"], landing, cadence="monthly")
    md = materializations(result, "probate_and_judgment_leads")
    assert (
        md["probate_matched"],
        md["probate_ambiguous"],
        md["probate_unmatched"],
        md["probate_leads_created"],
    ) == (1, 2, 0, 1)
    assert (md["verdicts_matched"], md["verdicts_unmatched"], md["judgment_leads_created"]) == (
        1,
        1,
        1,
    )
    leads = {
        r["lead_type"]: r for r in lead_rows(db_url) if r["lead_type"] in ("probate", "judgment")
    }
    p = leads["probate"]
    assert (
        p["folio"],
        p["priority"],
        p["base_score"],
        p["contact_name"],
        p["contact_address"],
    ) == (F1, "high", 30, "LUIS GARCIA", "1 HEIR LN, ORLANDO FL")
    assert str(p["lead_date"]) == "2026-01-20"
    assert (leads["judgment"]["folio"], leads["judgment"]["base_score"]) == (F3, 16)
    # January's monthly file is known once January ends: both leads alert in early February,
    # the probate lead at once (hot), the judgment at once only for non-digest subscribers.
    fresh = new_leads_after(get_engine(db_url), 0, 100, today=date(2026, 2, 3))
    with get_engine(db_url).connect() as conn:
        ids = conn.execute(
            select(lead_table.c.id).where(lead_table.c.lead_type.in_(("probate", "judgment")))
        ).scalars()
        assert sorted(fresh) == sorted(ids)
    assert is_hot("probate", p["priority"], p["base_score"])
    assert not is_hot("judgment", leads["judgment"]["priority"], leads["judgment"]["base_score"])
    assert new_leads_after(get_engine(db_url), 0, 100, today=date(2026, 2, 9)) == []


def test_reruns_and_partition_order_change_nothing(world, tmp_path):
    db_url, src, landing = world
    resent = line(
        "probate",
        case_number="2026-000100-CP-02",
        filing_date="01/20/2026",
        decedent_name="GARCIA MARIA",
        decedent_address="100 N.W. 5th St",
        zip="33125",
        petitioner_name="LUIS GARCIA",
        petitioner_address="1 HEIR LN, ORLANDO FL",
    )
    _monthly(src, "2026-02", probate_extra=[resent])  # the same case re-sent the next month
    for keys in (["2026-02"], ["2026-01"], ["2026-01"]):
        assert run_daily(db_url, src, keys, landing, cadence="monthly").success
    first = lead_rows(db_url)
    assert run_daily(
        db_url,
        src,
        ["2026-01", "2026-02"],
        landing,
        cadence="monthly",
        tags={"folio/force_restage": "true"},
    ).success
    assert lead_rows(db_url) == first
    probate = [r for r in first if r["lead_type"] == "probate"]
    assert [(r["folio"], r["source_file"]) for r in probate] == [
        (F1, "monthly/2026-01/Probate.exp")
    ]
