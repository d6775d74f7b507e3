"""The properties merge and the lead rules, on SQLite and PostgreSQL, through the core steps."""

from datetime import date

import pytest

from tests.builders import doc, line, write_partition
from tests.flow import ingest, lead_rows, property_rows

F1, F2, F3 = "3040120010010", "0140120010020", "3040120010030"


@pytest.fixture
def src(tmp_path):
    return tmp_path / "src"


def run(db_url, src, tmp_path, batches):
    ingest(db_url, src, batches, tmp_path / "landing")
    return property_rows(db_url), lead_rows(db_url)


def test_mortgage_after_deed_does_not_change_owner(db_url, src, tmp_path):
    write_partition(
        src,
        "2026-01-05",
        {
            "OfficialRecords.exp": doc(
                1,
                "20260105",
                "WD",
                "30-4012-001-0010",
                grantee="NEW OWNER",
                consideration_1="$300,000.00",
                address="123 NW 5TH ST",
                city="MIAMI",
                zip="33125",
            )
        },
    )
    write_partition(
        src,
        "2026-01-07",
        {
            "OfficialRecords.exp": doc(
                9,
                "20260107",
                "MOR",
                F1,
                grantor="BIG BANK NA",
                grantee="NEW OWNER",
                consideration_1="240000",
            )
        },
    )
    props, _ = run(db_url, src, tmp_path, [["2026-01-05"], ["2026-01-07"]])
    p = props[F1]
    assert (p["owner_name"], p["last_sale_price"], p["last_sale_date"], p["last_sale_cfn"]) == (
        "NEW OWNER",
        300000.0,
        date(2026, 1, 5),
        "2026-0000001",
    )
    assert (p["last_transaction_type"], p["last_transaction_date"], p["last_transaction_cfn"]) == (
        "MOR",
        date(2026, 1, 7),
        "2026-0000009",
    )
    assert (p["address"], p["city"], p["zip"]) == ("123 NW 5TH ST", "MIAMI", "33125")


def test_doc_tax_implies_price_when_consideration_empty(db_url, src, tmp_path):
    write_partition(
        src,
        "2026-01-05",
        {"OfficialRecords.exp": doc(1, "20260105", "DEE", F1, deed_doc_tax="$1,800.00")},
    )
    props, leads = run(db_url, src, tmp_path, [["2026-01-05"]])
    assert props[F1]["last_sale_price"] == 300000.0
    assert [(r["lead_type"], r["folio"]) for r in leads] == [("new_homeowner", F1)]


def test_latest_document_with_address_sets_address_and_higher_cfn_breaks_ties(
    db_url, src, tmp_path
):
    write_partition(
        src,
        "2026-01-05",
        {
            "OfficialRecords.exp": doc(
                1,
                "20260105",
                "DEE",
                F1,
                grantee="FIRST",
                consideration_1="100",
                address="1 A ST",
                city="MIAMI",
            )
            + doc(
                2,
                "20260105",
                "DEE",
                F1,
                grantee="SECOND",
                consideration_1="200",
                address="2 B ST",
                city="DORAL",
            )
            + doc(3, "20260106", "SMO", F1)
        },
    )  # no address: does not clear it
    props, _ = run(db_url, src, tmp_path, [["2026-01-05"]])
    p = props[F1]
    assert (p["owner_name"], p["last_sale_price"], p["address"], p["city"]) == (
        "SECOND",
        200.0,
        "2 B ST",
        "DORAL",
    )
    assert (p["last_transaction_type"], p["last_transaction_cfn"]) == ("SMO", "2026-0000003")


def test_rows_without_a_folio_touch_no_property(db_url, src, tmp_path):
    write_partition(
        src,
        "2026-01-05",
        {
            "OfficialRecords.exp": doc(1, "20260105", "DEE", "", consideration_1="1")
            + doc(2, "20260105", "DEE", "0000000000000", consideration_1="1")
        },
    )
    props, leads = run(db_url, src, tmp_path, [["2026-01-05"]])
    assert props == {} and leads == []


def test_new_homeowner_window_price_and_doc_types(db_url, src, tmp_path):
    write_partition(
        src,
        "2026-02-04",
        {
            "OfficialRecords.exp": doc(
                1, "20260105", "DEE", F1, consideration_1="100000"
            )  # exactly 30 days before: lead
            + doc(2, "20260104", "WD", F2, consideration_1="100000")  # 31 days before: no lead
            + doc(3, "20260204", "QCD", F3, consideration_1="10")  # quit-claim: no lead
            + doc(4, "20260204", "DEE", "3040120010040")  # no price at all: no lead
            + doc(5, "20260204", "MOR", "3040120010050", consideration_1="5")
            + doc(
                6,
                "20260204",
                "WD",
                "3040120010060",
                grantee="JANE BUYER",
                consideration_1="450,000",
                address="77 SW 8TH ST",
                city="MIAMI",
                zip="33130",
            )
        },
    )
    _, leads = run(db_url, src, tmp_path, [["2026-02-04"]])
    assert [(r["folio"], r["lead_type"]) for r in leads] == [
        (F1, "new_homeowner"),
        ("3040120010060", "new_homeowner"),
    ]
    lead = leads[1]
    assert (
        lead["product"],
        lead["base_score"],
        lead["score"],
        lead["status"],
        lead["priority"],
    ) == ("A", 12, 12.0, "new", "normal")  # scored by the ingestion's run (assets), not here
    assert (lead["contact_name"], lead["contact_address"], lead["lead_date"]) == (
        "JANE BUYER",
        "77 SW 8TH ST, MIAMI 33130",
        date(2026, 2, 4),
    )
    assert (lead["source_asset"], lead["source_file"], lead["source_line"], lead["source_key"]) == (
        "staged_official_records",
        "daily/2026-02-04/OfficialRecords.exp",
        11,
        "2026-0000006",
    )


def test_foreclosure_lead_and_later_clp_closes_it(db_url, src, tmp_path):
    write_partition(
        src,
        "2026-01-05",
        {
            "OfficialRecords.exp": doc(
                1, "20260105", "DEE", F1, grantee="OWNER ONE", consideration_1="1"
            )
            + doc(
                2,
                "20260105",
                "LIS",
                F1,
                grantor="BANK",
                grantee="OWNER ONE",
                case_num="2026-000123-CA-01",
            )
            + doc(3, "20260105", "LIS", F2, grantor="BANK", grantee="OWNER TWO")
            # A CLP recorded *before* the LIS on F2 must not close it.
            + doc(4, "20260102", "CLP", F2, grantor="BANK")
        },
    )
    write_partition(
        src, "2026-01-07", {"OfficialRecords.exp": doc(8, "20260107", "CLP", F1, grantor="BANK")}
    )
    _, leads = run(db_url, src, tmp_path, [["2026-01-05"]])
    fc = {r["folio"]: r for r in leads if r["lead_type"] == "foreclosure"}
    assert fc[F1]["status"] == fc[F2]["status"] == "new"
    assert (
        fc[F1]["product"],
        fc[F1]["base_score"],
        fc[F1]["case_number"],
        fc[F1]["contact_name"],
    ) == ("B", 30, "2026-000123-CA-01", "OWNER ONE")
    _, leads = run(db_url, src, tmp_path, [["2026-01-07"]])
    fc = {r["folio"]: r for r in leads if r["lead_type"] == "foreclosure"}
    assert (fc[F1]["status"], fc[F1]["status_reason"]) == (
        "dismissed",
        "cancelled by CLP 2026-0000008",
    )
    assert fc[F2]["status"] == "new"


def test_clp_processed_before_its_lis_still_closes_it(db_url, src, tmp_path):
    write_partition(src, "2026-01-05", {"OfficialRecords.exp": doc(2, "20260105", "LIS", F1)})
    write_partition(src, "2026-01-07", {"OfficialRecords.exp": doc(8, "20260107", "CLP", F1)})
    _, leads = run(db_url, src, tmp_path, [["2026-01-07"], ["2026-01-05"]])
    assert [(r["lead_type"], r["status"]) for r in leads] == [("foreclosure", "dismissed")]


def test_rerun_and_resent_document_never_duplicate_leads(db_url, src, tmp_path):
    deed = doc(1, "20260105", "DEE", F1, consideration_1="500000")
    write_partition(src, "2026-01-05", {"OfficialRecords.exp": deed})
    write_partition(
        src,
        "2026-01-06",
        {
            "OfficialRecords.exp": [
                line(
                    "official_records",
                    cfn_year=2026,
                    cfn_seq=50,
                    rec_date="20260106",
                    doc_type="SMO",
                    party_seq=1,
                    party_code="D",
                    folio=F2,
                )
            ]
            + deed
        },
    )
    _, first = run(db_url, src, tmp_path, [["2026-01-06"], ["2026-01-05"]])
    _, again = run(db_url, src, tmp_path, [["2026-01-05", "2026-01-06"]])
    assert first == again
    assert [(r["lead_type"], r["source_file"], r["source_line"]) for r in first] == [
        ("new_homeowner", "daily/2026-01-05/OfficialRecords.exp", 1)
    ]  # earliest copy, whatever the order


def test_a_lead_made_before_its_address_was_known_gets_it_later(db_url, src, tmp_path):
    """Day 1's deed has no address, so its lead has none; day 2's mortgage carries one: the
    property gets it, and day 2's run gives the older lead the address too (and rewrites no
    lead whose address did not change)."""
    write_partition(
        src,
        "2026-01-05",
        {"OfficialRecords.exp": doc(1, "20260105", "WD", F1, consideration_1="$300,000.00")},
    )
    write_partition(
        src,
        "2026-01-06",
        {
            "OfficialRecords.exp": doc(
                2, "20260106", "MOR", F1, address="9 SW 1ST ST", city="MIAMI", zip="33130"
            )
            + doc(3, "20260106", "WD", F2, consideration_1="$10.00", address="1 A ST")
        },
    )
    _, first = run(db_url, src, tmp_path, [["2026-01-05"]])
    assert [(r["folio"], r["contact_address"]) for r in first] == [(F1, None)]
    _, both = run(db_url, src, tmp_path, [["2026-01-06"]])
    assert sorted((r["folio"], r["lead_type"], r["contact_address"]) for r in both) == [
        (F2, "new_homeowner", "1 A ST"),
        (F1, "new_homeowner", "9 SW 1ST ST, MIAMI 33130"),
    ]
