"""The property appraiser's roll: raw → staged → `properties` through Dagster on SQLite and
PostgreSQL, which source wins each field, a week without a roll, and the sample roll's quirks
quarantined."""

from datetime import date

from sqlalchemy import select

from pipelines.county.ingest import fetch_file, stage_file
from pipelines.county.roll import state_code
from pipelines.county.samples import new_state, roll_file
from pipelines.county.sources import LocalFolderSource
from pipelines.db.engine import get_engine
from pipelines.db.migrate import upgrade
from pipelines.db.schema import leads, properties, quarantine
from pipelines.db.schema.layouts import get_layout
from pipelines.stores.archive import LocalArchive
from tests.builders import doc, line, write_partition
from tests.dagster_helpers import check_results, run_daily

F1, F2, F3 = "3040120010010", "3040120010020", "3040120010030"
WEEK, OLDER_WEEK = "2026-01-12", "2026-01-05"


def _roll(folio, **values):
    return line("property_roll", folio=folio, **values)


def _weekly(src, key, roll: list[str] | None):
    files = {
        "Evictions.exp": [
            line(
                "evictions",
                case_number=f"{key}-CC-1",
                filing_date="01/06/2026",
                property_address="200 S.W. 8th Street",
                zip="33130",
            )
        ],
        "Indebtedness.exp": [
            line("indebtedness", cfn=f"{key}-1", recorded_date="01/07/2026", doc_type="LIE")
        ],
    }
    if roll is not None:
        files["PropertyRoll.exp"] = roll
    write_partition(src, key, files, cadence="weekly")


def _property(url, folio) -> dict:
    with get_engine(url).connect() as conn:
        row = conn.execute(select(properties).where(properties.c.folio == folio)).mappings().one()
    return {k: (float(v) if k.endswith(("_value", "_price")) and v else v) for k, v in row.items()}


def test_the_roll_enriches_properties_and_the_clerks_documents_keep_owner_and_sale(
    db_url, tmp_path
):
    src, landing = tmp_path / "src", tmp_path / "landing"
    deed = doc(1, "20260105", "WD", F1, grantee="GARCIA MARIA", consideration_1="300000",
               address="100 NW 5TH ST", city="MIAMI", zip="33125")  # fmt: skip
    # F3 is known only from a lis pendens: no deed has named its owner
    lis = doc(2, "20260105", "LIS", F3, grantor="BANK", grantee="", address="300 CORAL WAY")
    write_partition(src, "2026-01-05", {"OfficialRecords.exp": deed + lis})
    assert run_daily(db_url, src, ["2026-01-05"], landing).success
    _weekly(
        src,
        WEEK,
        [
            _roll(
                F1,
                site_address="1 ROLL ST",
                owner_name="ROLL OWNER",
                mailing_address="9 W 57TH ST",
                mailing_city="NEW YORK",
                mailing_state="NY",
                mailing_zip="10019",
                land_use="0101 SINGLE FAMILY",
                bedrooms="3",
                bathrooms="2.5",
                living_sqft="1800",
                year_built="1962",
                lot_sqft="7500",
                assessed_value="$410,000.00",
                market_value="500,000",
                homestead="N",
                last_sale_date="03/15/2001",
                last_sale_price="100000",
            ),  # fmt: skip
            _roll(
                F2,
                site_address="200 SW 8TH ST",
                site_city="MIAMI",
                site_zip="33130",
                owner_name="SMITH JOHN",
                mailing_state=" Fla. ",
                homestead="Y",
                market_value="350000",
                last_sale_date="06/01/1998",
                last_sale_price="90000",
            ),  # fmt: skip
            # a typo of eleven digits: not a bedroom count (and would not fit the column)
            _roll(F3, owner_name="ROLL OWNER THREE", market_value="250000", bedrooms="12345678901"),
        ],
    )
    result = run_daily(db_url, src, [WEEK], landing, cadence="weekly")
    assert result.success
    checks = check_results(result)
    assert checks[("raw_property_roll", "file_present")] is True
    assert checks[("staged_property_roll", "quarantine_ratio")] is True
    assert checks[("property_facts", "facts_on_properties")] is True
    [facts] = [m for m in result.asset_materializations_for_node("property_facts")]
    assert {k: facts.metadata[k].value for k in ("parcels", "new_parcels", "enriched")} == {
        "parcels": 3,
        "new_parcels": 1,
        "enriched": 3,
    }

    one = _property(db_url, F1)
    # the clerk's deed decides owner, address and last sale; the roll adds the facts
    assert (one["owner_name"], one["address"], one["last_sale_date"], one["last_sale_price"]) == (
        "GARCIA MARIA",
        "100 NW 5TH ST",
        date(2026, 1, 5),
        300000.0,
    )
    assert {
        k: one[k]
        for k in ("owner_mailing_state", "owner_mailing_city", "market_value", "assessed_value",
                  "homestead", "bedrooms", "living_sqft", "year_built", "lot_sqft",
                  "roll_sale_date", "roll_sale_price", "roll_partition")
    } == {
        "owner_mailing_state": "NY", "owner_mailing_city": "NEW YORK", "market_value": 500000.0,
        "assessed_value": 410000.0, "homestead": False, "bedrooms": 3, "living_sqft": 1800,
        "year_built": 1962, "lot_sqft": 7500, "roll_sale_date": date(2001, 3, 15),
        "roll_sale_price": 100000.0, "roll_partition": WEEK,
    }  # fmt: skip
    assert float(one["bathrooms"]) == 2.5
    # no deed named F3's owner: the roll's is kept until one does
    three = _property(db_url, F3)
    assert (three["owner_name"], three["market_value"], three["bedrooms"]) == (
        "ROLL OWNER THREE",
        250000.0,
        None,
    )
    # a parcel no document named: the roll makes it, and the week's eviction matches it
    two = _property(db_url, F2)
    assert (two["owner_name"], two["address"], two["owner_mailing_state"], two["homestead"]) == (
        "SMITH JOHN",
        "200 SW 8TH ST",
        "FL",
        True,
    )
    with get_engine(db_url).connect() as conn:
        kinds = conn.execute(select(leads.c.lead_type, leads.c.folio).order_by(leads.c.id)).all()
    assert [tuple(k) for k in kinds] == [
        ("new_homeowner", F1),
        ("foreclosure", F3),
        ("eviction", F2),
    ]

    # An older roll run afterwards changes nothing; a week without a roll is not a missing file.
    _weekly(src, OLDER_WEEK, [_roll(F1, market_value="1", mailing_state="GA")])
    assert run_daily(db_url, src, [OLDER_WEEK], landing, cadence="weekly").success
    assert (_property(db_url, F1)["market_value"], _property(db_url, F1)["roll_partition"]) == (
        500000.0,
        WEEK,
    )
    _weekly(src, "2026-01-19", None)
    quiet = run_daily(db_url, src, ["2026-01-19"], landing, cadence="weekly")
    assert quiet.success and check_results(quiet)[("raw_property_roll", "file_present")] is True

    # A later deed on the roll's parcel: the clerk's document replaces the roll's owner.
    later = doc(2, "20260107", "WD", F2, grantee="NEW BUYER", consideration_1="410000",
                address="200 SW 8TH ST", city="MIAMI", zip="33130")  # fmt: skip
    write_partition(src, "2026-01-07", {"OfficialRecords.exp": later})
    assert run_daily(db_url, src, ["2026-01-07"], landing).success
    two = _property(db_url, F2)
    assert (two["owner_name"], two["last_sale_price"], two["market_value"]) == (
        "NEW BUYER",
        410000.0,
        350000.0,
    )


def test_the_sample_roll_stages_every_parcel_and_quarantines_its_two_bad_rows(sqlite_url, tmp_path):
    upgrade(sqlite_url)
    engine, landing = get_engine(sqlite_url), tmp_path / "landing"
    folder = tmp_path / "src" / "weekly" / WEEK
    folder.mkdir(parents=True)
    (folder / "PropertyRoll.exp").write_bytes(roll_file(new_state(7, 300), date(2026, 1, 12)))
    layout, archive = get_layout("property_roll"), LocalArchive(tmp_path / "archive")
    fetch_file(engine, LocalFolderSource(tmp_path / "src"), layout, WEEK, landing, archive)
    report = stage_file(engine, layout, WEEK, archive)
    assert (report.counts.staged, report.counts.quarantined) == (300, 2)
    with engine.connect() as conn:
        reasons = conn.execute(select(quarantine.c.reason).order_by(quarantine.c.line_no)).scalars()
        reasons = list(reasons)
    assert len(reasons) == 2 and "folio" in reasons[0]


def test_mailing_states_are_read_as_rolls_write_them():
    written = ("fl", " Fla. ", "Florida", "NEW YORK", " nj", "Ill.", "ONT", "", None)
    read = ["FL", "FL", "FL", "NY", "NJ", "IL", None, None, None]
    assert [state_code(s) for s in written] == read
