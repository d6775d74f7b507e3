"""A file staged in chunks is staged exactly as if it were read whole: the same rows, the
same derived columns (document heads and grantees across chunk borders, address and name
keys), the same quarantine, the same counts."""

import hashlib
from datetime import date

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from pipelines.county.chunks import read_chunks
from pipelines.county.ingest import fetch_file, stage_file
from pipelines.county.parse import parse_bytes, parse_file
from pipelines.county.samples import generate_day, new_state
from pipelines.county.sources import LocalFolderSource
from pipelines.db.engine import get_engine
from pipelines.db.schema import STAGED_TABLES, quarantine
from pipelines.db.schema.layouts import get_layout
from pipelines.stores.archive import LocalArchive

DOCKTEXT, OR = get_layout("docktext"), get_layout("official_records")
DAY = date(2026, 1, 5)


@settings(max_examples=60, deadline=None)
@given(
    lengths=st.lists(st.integers(0, 40), min_size=0, max_size=40),
    chunk=st.integers(1, 64),
    final_newline=st.booleans(),
)
def test_chunks_are_whole_lines_numbered_and_hashed(
    tmp_path_factory, lengths, chunk, final_newline
):
    lines = [b"x" * n for n in lengths]
    data = b"\n".join(lines) + (b"\n" if final_newline and lines else b"")
    path = tmp_path_factory.mktemp("c") / "f"
    path.write_bytes(data)
    digest = hashlib.sha256()
    chunks = list(read_chunks(path, chunk, digest))
    assert b"".join(c for c, _ in chunks) == data
    assert digest.hexdigest() == hashlib.sha256(data).hexdigest()
    line = 1
    for c, first in chunks:
        assert first == line
        assert c.endswith(b"\n") or c is chunks[-1][0]  # only the last may lack a newline
        line += c.count(b"\n")


# Keys from a small set, so that the same key comes back (same or different text) in later
# chunks; blank lines and a bad row among them.
docket_line = st.one_of(
    st.tuples(st.integers(1, 6), st.sampled_from(["A", "B", "C"])).map(
        lambda t: f"CASE-1^{t[0]}^1^{t[1]}"
    ),
    st.just(""),
    st.just("CASE-1^notanumber^1^bad"),
)


@settings(max_examples=150, deadline=None)
@given(lines=st.lists(docket_line, min_size=1, max_size=40), chunk=st.integers(8, 120))
def test_parsing_in_chunks_equals_parsing_whole(tmp_path_factory, lines, chunk):
    data = ("\n".join(lines) + "\n").encode()
    if not data.strip():
        return
    path = tmp_path_factory.mktemp("p") / "Docktext.exp"
    path.write_bytes(data)
    whole = parse_bytes(data, DOCKTEXT, "Docktext.exp")
    parts = list(
        parse_file(
            path, DOCKTEXT, "Docktext.exp", None, hashlib.sha256(), chunk, max_line_bytes=1 << 20
        )
    )
    rows = pl.concat([p.rows for p in parts])
    bad = pl.concat([p.quarantine for p in parts]).sort("line_no")
    assert rows.rows() == whole.rows.rows()
    assert bad.rows() == whole.quarantine.rows()
    assert sum(p.lines_read for p in parts) == whole.lines_read
    assert sum(p.duplicates_collapsed for p in parts) == whole.duplicates_collapsed


def _or_file(tmp_path) -> bytes:
    """A sample day, with one document's first party row moved to the end of the file (so its
    rows are in the first and the last chunk), and a line re-sent with other content at the end."""
    data = generate_day(new_state(seed=5, parcels=400), DAY, docs=600)["OfficialRecords.exp"]
    lines = data.decode("cp1252").splitlines()
    moved = lines.pop(1)
    plain = next(x for x in lines[100:] if x.count("^") == 35 and "2026-13" not in x)
    conflict = plain.split("^")
    conflict[7] = "CHANGED"
    return ("\n".join([*lines, moved, "^".join(conflict)]) + "\n").encode("cp1252")


def _stage(url, tmp_path, data: bytes, monkeypatch, chunk_bytes: int):
    monkeypatch.setenv("FOLIO_STAGE_CHUNK_BYTES", str(chunk_bytes))
    root = tmp_path / f"src{chunk_bytes}"
    (root / "daily" / DAY.isoformat()).mkdir(parents=True)
    (root / "daily" / DAY.isoformat() / "OfficialRecords.exp").write_bytes(data)
    engine, archive = get_engine(url), LocalArchive(tmp_path / "archive")
    fetch_file(engine, LocalFolderSource(root), OR, DAY.isoformat(), tmp_path / "land", archive)
    report = stage_file(engine, OR, DAY.isoformat(), archive, force=True)
    table = STAGED_TABLES["official_records"]
    cols = [c for c in table.c if c.name not in ("source_file",)]
    with engine.connect() as conn:
        rows = conn.execute(select(*cols).order_by(table.c.line_no)).all()
        bad = conn.execute(
            select(quarantine.c.line_no, quarantine.c.reason).order_by(quarantine.c.line_no)
        ).all()
    return report, rows, bad


@pytest.mark.parametrize("db", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def test_staging_in_chunks_equals_staging_whole(request, tmp_path, monkeypatch, db):
    url = request.getfixturevalue("sqlite_url" if db == "sqlite" else "pg_url")
    data = _or_file(tmp_path)
    whole, rows_whole, bad_whole = _stage(url, tmp_path, data, monkeypatch, 1 << 30)
    parts, rows_parts, bad_parts = _stage(url, tmp_path, data, monkeypatch, 4096)
    assert len(data) > 20 * 4096  # many chunks
    assert parts.counts == whole.counts
    assert whole.counts.staged == len(rows_whole) > 1000
    assert (parts.totals.lines_read, parts.totals.duplicates_collapsed) == (
        whole.totals.lines_read,
        whole.totals.duplicates_collapsed,
    )
    assert rows_parts == rows_whole
    assert bad_parts == bad_whole
    assert any("different content" in reason for _, reason in bad_whole)
    heads = {r.cfn for r in rows_whole if r.document_head}
    assert len(heads) == len({r.cfn for r in rows_whole})  # every document has its head
