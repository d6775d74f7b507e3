"""A corpus of hostile county files: the parser never crashes and never loses a line. For each
file either every non-blank line is staged, quarantined or collapsed as a duplicate, or the
file is refused as a whole with a message naming it and a line. A file without line breaks
is refused in bounded memory, through staging and through the Dagster step, and the
partition keeps what it had."""

import tracemalloc

import pytest
from sqlalchemy import select

from pipelines.county.ingest import fetch_file, stage_file
from pipelines.county.parse import FileUnreadableError, parse_bytes
from pipelines.county.sources import LocalFolderSource
from pipelines.db.engine import get_engine
from pipelines.db.schema import data_ingestion_logs
from pipelines.db.schema.layouts import get_layout
from pipelines.stores.archive import LocalArchive
from tests.builders import doc, write_partition
from tests.dagster_helpers import dump_tables, run_daily

OR = get_layout("official_records")
GOOD = [
    ln.encode("cp1252") for n in range(1, 21) for ln in doc(n, "20260105", "WD", "3040120010010")
]


def good_with(*extra: bytes) -> bytes:
    return b"\n".join([*GOOD[:20], *extra, *GOOD[20:]]) + b"\n"


CORPUS = {
    "nul in a field": good_with(GOOD[0].replace(b"^WD^", b"^W\x00D^")),
    "nul lines": good_with(b"\x00\x00\x00"),
    "dos end mark": b"\r\n".join(GOOD) + b"\r\n\x1a",
    "utf-8 bom": b"\xef\xbb\xbf" + b"\n".join(GOOD),
    "1 MB line": good_with(b"X" * 1_000_000),
    "10k fields": good_with(b"^".join([b"1"] * 10_000)),
    "only carets": good_with(b"^" * 50, b"^" * 36, b"^"),
    "mixed line ends": b"\r\n".join(GOOD[:10]) + b"\n" + b"\n".join(GOOD[10:]),
    "truncated last line": b"\n".join(GOOD) + b"\n" + GOOD[0][:17],
    "undefined cp1252 bytes": good_with(GOOD[1].replace(b"BUYER", b"BUY\x81\x8d\x8f\x90\x9dER")),
    "blank and whitespace lines": good_with(b"", b"   ", b"\t", b"\r"),
    "quotes and backslashes": good_with(GOOD[2].replace(b"BUYER ONE", b'"BUYER \\ ONE')),
    "mostly binary": bytes(range(256)) * 40,
    "empty": b"",
}


@pytest.mark.parametrize("name", sorted(CORPUS))
def test_no_crash_and_no_lost_line(name):
    data = CORPUS[name]
    try:
        r = parse_bytes(data, OR, "daily/2026-01-05/OfficialRecords.exp")
    except FileUnreadableError as exc:
        assert str(exc).startswith("daily/2026-01-05/OfficialRecords.exp: line ")
        assert name == "mostly binary"  # the only one that is not a damaged export
        return
    assert r.rows.height + r.quarantine.height + r.duplicates_collapsed == r.lines_read
    if name != "empty":
        assert r.rows.height >= 39  # the good rows got through whatever surrounds them
    assert r.quarantine.filter(r.quarantine["raw_line"].str.contains("\x00")).height == 0


def test_a_truncated_last_line_is_quarantined_not_staged():
    r = parse_bytes(CORPUS["truncated last line"], OR, "daily/2026-01-05/OfficialRecords.exp")
    assert r.rows.height == 40
    q = r.quarantine.row(0, named=True)
    assert (r.quarantine.height, q["line_no"], q["raw_line"]) == (1, 41, GOOD[0][:17].decode())
    assert q["reason"].startswith("truncated: the last line has ")


DAY = "2026-01-05"
NAME = f"daily/{DAY}/OfficialRecords.exp"


def test_a_file_without_line_breaks_is_refused_in_bounded_memory(sqlite_url, tmp_path, monkeypatch):
    """Through the product's staging path: 40 MB with no newline, chunks of 1 MiB, the default
    1 MiB line limit. Python's allocations peak at a few MiB (the file was carried whole,
    and copied on every read, before)."""
    monkeypatch.setenv("FOLIO_STAGE_CHUNK_BYTES", str(1 << 20))
    folder = tmp_path / "src" / "daily" / DAY
    folder.mkdir(parents=True)
    with open(folder / "OfficialRecords.exp", "wb") as fh:
        fh.truncate(40 << 20)  # sparse: 40 MB of NULs
    engine, archive = get_engine(sqlite_url), LocalArchive(tmp_path / "archive")
    fetch_file(engine, LocalFolderSource(tmp_path / "src"), OR, DAY, tmp_path / "land", archive)
    tracemalloc.start()
    try:
        with pytest.raises(FileUnreadableError) as exc:
            stage_file(engine, OR, DAY, archive)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 8 << 20
    assert str(exc.value).startswith(
        f"{NAME}: line 1, byte offset 0: longer than 1,048,576 bytes (FOLIO_MAX_LINE_BYTES)"
    )


def test_a_long_line_fails_the_staging_step_and_keeps_the_previous_partition(db_url, tmp_path):
    src = tmp_path / "src"
    write_partition(src, DAY, {"OfficialRecords.exp": doc(1, "20260105", "WD", "3040120010010")})
    run_daily(db_url, src, [DAY], tmp_path / "landing")
    before = dump_tables(db_url, skip=("data_ingestion_logs", "raw_files"))
    good = doc(1, "20260105", "WD", "3040120010010") + doc(2, "20260105", "MOR", "3040120010010")
    head = ("\n".join(good) + "\n").encode()
    (src / "daily" / DAY / "OfficialRecords.exp").write_bytes(head + b"X" * (2 << 20) + b"\n")
    result = run_daily(db_url, src, [DAY], tmp_path / "landing", raise_on_error=False)
    assert not result.success
    failure = next(
        e
        for e in result.all_events
        if e.is_step_failure and e.step_key == "staged_official_records"
    )
    expected = f"{NAME}: line 5, byte offset {len(head)}: longer than 1,048,576 bytes"
    assert expected in failure.step_failure_data.user_failure_data.description
    assert dump_tables(db_url, skip=("data_ingestion_logs", "raw_files")) == before
    with get_engine(db_url).connect() as conn:
        errors = conn.execute(
            select(data_ingestion_logs.c.error).where(data_ingestion_logs.c.status == "failed")
        ).scalars()
        assert [e for e in errors if expected in e] != []
