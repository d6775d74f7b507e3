"""The daily asset graph in-process, on SQLite and PostgreSQL."""

from datetime import date

import pytest
from sqlalchemy import select, text

from assets.ingestion import FORCE_RESTAGE_TAG
from pipelines.county.samples import write_daily
from pipelines.db.engine import get_engine
from pipelines.db.schema import STAGED_TABLES, data_ingestion_logs, quarantine
from tests.builders import doc, line, write_partition
from tests.dagster_helpers import check_results, dump_tables, materializations, run_daily
from tests.flow import lead_rows, property_rows

DAY = "2026-01-05"
F1 = "3040120010010"


def _partition(src, extra_or=()):
    rows = (
        doc(
            1,
            "20260105",
            "WD",
            "30-4012-001-0010",
            grantee="ANA BUYER",
            consideration_1="$410,000.00",
            address="9 NW 5TH ST",
            city="MIAMI",
            zip="33125",
        )
        + doc(
            2, "20260105", "LIS", "0140120010020", case_num="2026-000777-CA-01", grantee="OWNER B"
        )
        + doc(3, "20260105", "MOR", "", consideration_1="1000")  # no folio: kept, touches nothing
        + list(extra_or)
    )
    return write_partition(src, DAY, {"OfficialRecords.exp": rows}, eol="\r\n")


def test_partition_end_to_end(db_url, tmp_path):
    _partition(
        tmp_path / "src",
        extra_or=[
            line(
                "official_records",
                cfn_year=2026,
                cfn_seq=4,
                rec_date="2026-01-05",
                doc_type="DEE",
                party_seq=1,
                party_code="R",
            )
        ],
    )
    result = run_daily(db_url, tmp_path / "src", [DAY], tmp_path / "landing")
    assert result.success
    staged = materializations(result, "staged_official_records")
    assert (staged["rows_read"], staged["rows_staged"], staged["rows_quarantined"]) == (7, 6, 1)
    assert staged["quarantine_ratio"] == pytest.approx(1 / 7, abs=1e-5)
    raw = materializations(result, "raw_official_records")
    assert raw["files_landed"] == 1 and len(raw["sha256"]) == 64
    props = materializations(result, "properties")
    assert (
        props["properties_inserted"],
        props["properties_updated"],
        props["properties_total"],
    ) == (2, 0, 2)
    leads_md = materializations(result, "leads")
    assert (leads_md["created_new_homeowner"], leads_md["created_foreclosure"]) == (1, 1)
    checks = check_results(result)
    assert checks[("staged_official_records", "quarantine_ratio")] is False  # 1 of 7 > 1%
    assert checks[("staged_official_records", "no_duplicate_keys")] is True
    assert checks[("raw_cases", "file_present")] is True
    assert checks[("leads", "every_lead_has_property")] is True
    engine = get_engine(db_url)
    with engine.connect() as conn:
        q = conn.execute(
            select(quarantine.c.source_file, quarantine.c.line_no, quarantine.c.reason)
        ).all()
        assert q == [
            ("daily/2026-01-05/OfficialRecords.exp", 7, "bad date_ymd in rec_date: '2026-01-05'")
        ]
        staged_rows = conn.execute(
            select(
                STAGED_TABLES["official_records"].c.line_no,
                STAGED_TABLES["official_records"].c.source_sha256,
            )
        ).all()
        assert sorted(r[0] for r in staged_rows) == [1, 2, 3, 4, 5, 6]
        assert {r[1] for r in staged_rows} == {raw["sha256"]}
        logs = conn.execute(
            select(data_ingestion_logs.c.file_type, data_ingestion_logs.c.status)
        ).all()
        assert sorted(logs) == sorted(
            (ft, "success")
            for ft in ("official_records", "cases", "parties", "dockets", "docktext")
        )
    assert sorted(property_rows(db_url)) == [F1, "0140120010020"][::-1]
    assert [(r["lead_type"], r["folio"], r["source_line"]) for r in lead_rows(db_url)] == [
        ("foreclosure", "0140120010020", 3),
        ("new_homeowner", F1, 1),
    ]


def test_rerunning_a_partition_leaves_every_table_identical(db_url, tmp_path):
    _partition(tmp_path / "src")
    run_daily(db_url, tmp_path / "src", [DAY], tmp_path / "landing")
    before = dump_tables(db_url)
    plain = run_daily(
        db_url, tmp_path / "src", [DAY], tmp_path / "landing"
    )  # same files: not re-staged
    assert materializations(plain, "staged_official_records")["partitions_unchanged"] == 1
    assert dump_tables(db_url) == before
    # Forced: every partition deleted and inserted again, with the same result.
    forced = run_daily(
        db_url, tmp_path / "src", [DAY], tmp_path / "landing", tags={FORCE_RESTAGE_TAG: "true"}
    )
    assert materializations(forced, "staged_official_records")["partitions_unchanged"] == 0
    assert dump_tables(db_url) == before
    with get_engine(db_url).connect() as conn:
        statuses = conn.execute(select(data_ingestion_logs.c.status)).scalars().all()
    assert sorted(statuses) == ["success"] * 10 + ["unchanged"] * 5


def test_order_and_batching_give_the_same_properties_and_leads(sqlite_url, tmp_path):
    days = [
        d.isoformat()
        for d in write_daily(tmp_path / "src", date(2026, 1, 5), date(2026, 1, 8), docs=60)
    ]
    plans = {
        "in_order": [[d] for d in days],
        "reversed": [[d] for d in reversed(days)],
        "one_run": [days],
    }
    results = {}
    for name, plan in plans.items():
        url = sqlite_url.replace("folio.db", f"{name}.db")
        from pipelines.db.migrate import upgrade

        upgrade(url)
        for keys in plan:
            assert run_daily(url, tmp_path / "src", keys, tmp_path / "landing").success
        results[name] = (property_rows(url), lead_rows(url))
    assert len(results["in_order"][0]) > 50 and len(results["in_order"][1]) > 10
    assert results["in_order"] == results["reversed"] == results["one_run"]


def _install_failure_trigger(url: str) -> None:
    """A real database failure on the 3rd staged row, after earlier rows were written."""
    engine = get_engine(url)
    with engine.begin() as conn:
        if engine.dialect.name == "sqlite":
            conn.execute(
                text(
                    "CREATE TRIGGER boom BEFORE INSERT ON staged_official_records "
                    "WHEN NEW.line_no = 3 BEGIN SELECT RAISE(ABORT, 'disk on fire'); END"
                )
            )
        else:
            conn.execute(
                text(
                    "CREATE FUNCTION boom() RETURNS trigger AS $$ BEGIN "
                    "IF NEW.line_no = 3 THEN RAISE EXCEPTION 'disk on fire'; END IF; RETURN NEW; "
                    "END $$ LANGUAGE plpgsql"
                )
            )
            conn.execute(
                text(
                    "CREATE TRIGGER boom BEFORE INSERT ON staged_official_records "
                    "FOR EACH ROW EXECUTE FUNCTION boom()"
                )
            )


def test_failure_mid_load_keeps_the_previous_partition_and_is_logged(db_url, tmp_path, monkeypatch):
    monkeypatch.setenv("FOLIO_SQLITE_BATCH_ROWS", "2")  # rows 1-2 are written before row 3 fails
    src = tmp_path / "src"
    _partition(src)
    run_daily(db_url, src, [DAY], tmp_path / "landing")
    before = dump_tables(db_url, skip=("data_ingestion_logs", "raw_files"))
    _partition(
        src, extra_or=doc(5, "20260105", "DEE", "3040120010050", consideration_1="1")
    )  # a new file
    _install_failure_trigger(db_url)
    result = run_daily(db_url, src, [DAY], tmp_path / "landing", raise_on_error=False)
    assert not result.success
    assert dump_tables(db_url, skip=("data_ingestion_logs", "raw_files")) == before
    with get_engine(db_url).connect() as conn:
        failed = conn.execute(
            select(data_ingestion_logs.c.file_type, data_ingestion_logs.c.error).where(
                data_ingestion_logs.c.status == "failed"
            )
        ).all()
    assert len(failed) == 1 and failed[0][0] == "official_records"
    assert "disk on fire" in failed[0][1]


def test_missing_file_fails_its_check_and_blocks_staging(sqlite_url, tmp_path):
    folder = _partition(tmp_path / "src")
    (folder / "Cases.exp").unlink()
    result = run_daily(
        sqlite_url, tmp_path / "src", [DAY], tmp_path / "landing", raise_on_error=False
    )
    assert not result.success
    assert check_results(result)[("raw_cases", "file_present")] is False
    done = {m.asset_key.path[0] for m in result.get_asset_materialization_events()}
    assert "staged_cases" not in done and "staged_official_records" in done


def test_unreadable_file_fails_the_step_naming_file_and_line(sqlite_url, tmp_path):
    write_partition(tmp_path / "src", DAY, {"OfficialRecords.exp": ["^".join(["x"] * 50)] * 3})
    result = run_daily(
        sqlite_url, tmp_path / "src", [DAY], tmp_path / "landing", raise_on_error=False
    )
    assert not result.success
    failure = [
        e
        for e in result.all_events
        if e.is_step_failure and e.step_key == "staged_official_records"
    ][0]
    assert (
        "daily/2026-01-05/OfficialRecords.exp: line 1: 50 fields"
        in failure.step_failure_data.user_failure_data.description
    )


def test_duplicate_key_check_counts_what_is_written():
    """The check reads a count kept while rows are written (no scan of the table afterwards):
    rows sharing a key in what is written are counted."""
    import polars as pl

    from pipelines.county.parse import ParseResult
    from pipelines.county.staging import StageTotals
    from pipelines.db.schema.layouts import get_layout

    layout = get_layout("official_records")
    key = dict(cfn_year=[2026, 2026, 2026], cfn_seq=[1, 1, 2], party_code=["D", "D", "D"])
    rows = pl.DataFrame({**key, "party_seq": [1, 1, 1]})
    totals = StageTotals()
    totals.add(layout, ParseResult(rows, pl.DataFrame()), rows, pl.DataFrame())
    assert (totals.staged, totals.duplicate_keys) == (3, 1)
    totals.add(layout, ParseResult(rows[2:], pl.DataFrame()), rows[2:], pl.DataFrame())
    assert (totals.staged, totals.duplicate_keys) == (4, 1)


def test_a_nul_byte_in_one_line_no_longer_fails_the_day(db_url, tmp_path):
    deed = doc(1, "20260105", "DEE", "3040120010010", legal="LOT 1\x00 BLK 2", consideration_1="1")
    write_partition(tmp_path / "src", DAY, {"OfficialRecords.exp": deed})
    result = run_daily(db_url, tmp_path / "src", [DAY], tmp_path / "landing")
    assert result.success
    meta = materializations(result, "staged_official_records")
    assert (meta["rows_staged"], meta["rows_quarantined"], meta["control_bytes_removed"]) == (
        2,
        0,
        2,
    )
    with get_engine(db_url).connect() as conn:
        legal = conn.execute(select(STAGED_TABLES["official_records"].c.legal)).scalars().all()
    assert legal == ["LOT 1 BLK 2", "LOT 1 BLK 2"]
