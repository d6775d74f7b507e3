"""Zip bundles in a partition folder, landing/archive behaviour and re-sent files."""

import io
import random
import zipfile

import pytest
from sqlalchemy import select

from pipelines.county.ingest import fetch_file, stage_file
from pipelines.county.sources import LocalFolderSource
from pipelines.county.sources.zips import ZipLimits, ZipRejected, extract_member
from pipelines.db.engine import get_engine
from pipelines.db.schema import data_ingestion_logs, raw_files
from pipelines.db.schema.layouts import get_layout
from pipelines.stores.archive import LocalArchive
from tests.builders import doc, line

DAY = "2026-01-05"
OR, CASES = get_layout("official_records"), get_layout("cases")
OR_BODY = (
    "\n".join(doc(1, "20260105", "DEE", "3040120010010", consideration_1="1")) + "\n"
).encode()


def make_zip(path, members: dict[str, bytes]):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(buf.getvalue())
    return path


@pytest.fixture
def env(sqlite_url, tmp_path):
    folder = tmp_path / "src" / "daily" / DAY
    folder.mkdir(parents=True)
    return dict(
        engine=get_engine(sqlite_url),
        source=LocalFolderSource(tmp_path / "src"),
        folder=folder,
        landing=tmp_path / "landing",
        archive=LocalArchive(tmp_path / "archive"),
    )


def fetch(env, layout=OR):
    return fetch_file(env["engine"], env["source"], layout, DAY, env["landing"], env["archive"])


def test_zip_members_nested_and_any_case_are_found(env):
    make_zip(
        env["folder"] / "DAILY_CIVIL_01052026.ZIP",
        {
            "bundle/CASES.EXP": (line("cases", case_id="C1", case_number="2026-1") + "\n").encode(),
            "bundle/officialrecords.exp": OR_BODY,
        },
    )
    landed = fetch(env, CASES)
    assert landed.file_name == f"daily/{DAY}/DAILY_CIVIL_01052026.ZIP!bundle/CASES.EXP"
    assert fetch(env).file_name.endswith("!bundle/officialrecords.exp")
    assert stage_file(env["engine"], CASES, DAY, env["archive"]).counts.staged == 1


def test_a_plain_file_wins_over_a_zip_member(env):
    (env["folder"] / "OfficialRecords.exp").write_bytes(OR_BODY)
    make_zip(env["folder"] / "bundle.zip", {"OfficialRecords.exp": b"older^copy\n"})
    assert fetch(env).file_name == f"daily/{DAY}/OfficialRecords.exp"


def test_path_traversal_is_rejected(env):
    make_zip(env["folder"] / "evil.zip", {"../../etc/Cases.exp": b"x"})
    with pytest.raises(
        ZipRejected, match=r"member '../../etc/Cases.exp' escapes the partition folder"
    ):
        fetch(env, CASES)
    assert not any(p.is_file() for p in env["landing"].rglob("*"))


def test_not_a_zip_and_corrupt_zip_are_rejected(env):
    (env["folder"] / "bundle.zip").write_bytes(b"this is not a zip")
    with pytest.raises(ZipRejected, match=r"daily/2026-01-05/bundle.zip is not a zip file"):
        fetch(env, CASES)
    good = make_zip(
        env["folder"] / "bundle.zip", {"Cases.exp": b"C1^2026-1^" + b"x" * 2000 + b"\n"}
    )
    data = bytearray(good.read_bytes())
    data[60:70] = b"CORRUPTED!"  # inside the member's data: its CRC no longer matches
    good.write_bytes(bytes(data))
    with pytest.raises(ZipRejected, match="corrupt"):
        fetch(env, CASES)


def test_landing_is_cleaned_and_the_archive_keeps_the_file(env):
    (env["folder"] / "OfficialRecords.exp").write_bytes(OR_BODY)
    landed = fetch(env)
    assert not any(p.is_file() for p in env["landing"].rglob("*"))
    archived = env["archive"].root / "daily" / DAY / landed.sha256 / "OfficialRecords.exp"
    assert archived.read_bytes() == OR_BODY
    with env["engine"].connect() as conn:
        assert conn.execute(select(raw_files.c.archive_uri)).scalar_one() == str(archived.resolve())


def test_resent_identical_file_is_recognised_and_not_restaged(env):
    path = env["folder"] / "OfficialRecords.exp"
    path.write_bytes(OR_BODY)
    assert fetch(env).already_known is False
    assert stage_file(env["engine"], OR, DAY, env["archive"]).restaged is True
    assert fetch(env).already_known is True
    again = stage_file(env["engine"], OR, DAY, env["archive"])
    assert again.restaged is False
    # A different file for the partition replaces the old one and is staged...
    path.write_bytes(
        OR_BODY + ("\n".join(doc(2, "20260105", "MOR", "3040120010010")) + "\n").encode()
    )
    assert fetch(env).already_known is False
    assert stage_file(env["engine"], OR, DAY, env["archive"]).counts.staged == 4
    # ...and the first file coming back becomes the latest again.
    path.write_bytes(OR_BODY)
    assert fetch(env).already_known is False
    assert stage_file(env["engine"], OR, DAY, env["archive"]).counts.staged == 2
    with env["engine"].connect() as conn:
        statuses = conn.execute(
            select(data_ingestion_logs.c.status).order_by(data_ingestion_logs.c.id)
        ).scalars()
        assert list(statuses) == ["success", "unchanged", "success", "success"]
        assert conn.execute(select(raw_files.c.sha256)).scalars().all().__len__() == 2  # both kept


def test_staging_reads_the_file_where_raw_files_says_it_is(env, tmp_path):
    """raw_files.archive_uri is the file's address: staging finds it there even when the
    archive configured now is another (empty) folder, and refuses a copy whose bytes changed."""
    (env["folder"] / "OfficialRecords.exp").write_bytes(OR_BODY)
    landed = fetch(env)
    elsewhere = LocalArchive(tmp_path / "another-archive")
    report = stage_file(env["engine"], OR, DAY, elsewhere)
    # the deed's two party rows (grantor and grantee)
    assert (report.counts.staged, report.counts.quarantined, report.sha256) == (2, 0, landed.sha256)
    with env["engine"].connect() as conn:
        assert set(conn.execute(select(raw_files).limit(1)).keys()) >= {"archive_uri"}
        assert "landing_path" not in conn.execute(select(raw_files).limit(1)).keys()
    archived = env["archive"].root / "daily" / DAY / landed.sha256 / "OfficialRecords.exp"
    archived.write_bytes(OR_BODY + b"tampered\n")
    with pytest.raises(RuntimeError, match="no longer matches its sha256"):
        stage_file(env["engine"], OR, DAY, elsewhere, force=True)


# --- zip bombs: limits on what the members expand to, checked while streaming -------------


def deflated_zip(path, members: dict[str, bytes], method=zipfile.ZIP_DEFLATED):
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w", compression=method) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return path


def lie_about_compressed_size(path, factor: int):
    """Make the central directory claim the first member's compressed size is `factor` times
    what it is, so its declared ratio looks harmless; its real bytes inflate as before."""
    data = bytearray(path.read_bytes())
    at = data.find(b"PK\x01\x02")
    size = int.from_bytes(data[at + 20 : at + 24], "little")
    data[at + 20 : at + 24] = (size * factor).to_bytes(4, "little")
    path.write_bytes(bytes(data))


def nothing_landed(env):
    with env["engine"].connect() as conn:
        assert conn.execute(select(raw_files)).first() is None
    assert not any(p.is_file() for p in env["landing"].rglob("*"))
    assert not any(p.is_file() for p in env["archive"].root.rglob("*"))


def test_a_zip_bomb_is_refused_by_its_ratio_before_anything_is_written(env):
    bomb = deflated_zip(env["folder"] / "bundle.zip", {"Cases.exp": bytes(16 << 20)})
    assert bomb.stat().st_size < 100_000  # 16 MiB of zeros in a few KB: ~1000:1
    with pytest.raises(
        ZipRejected,
        match=r"bundle.zip: member 'Cases.exp' declares 16,777,216 bytes from [\d,]+ compressed, "
        r"over 200:1 — a zip bomb\? rejected \(FOLIO_ZIP_MAX_RATIO\)",
    ):
        fetch(env, CASES)
    nothing_landed(env)


def test_a_zip_over_its_total_is_refused(env, monkeypatch):
    monkeypatch.setenv("FOLIO_ZIP_MAX_TOTAL_BYTES", str(4 << 20))
    members = {f"part{n}/Cases.exp": bytes(range(256)) * (8 << 10) for n in range(3)}  # 2 MiB each
    deflated_zip(env["folder"] / "bundle.zip", members, zipfile.ZIP_STORED)
    with pytest.raises(
        ZipRejected,
        match=r"members expand past 4,194,304 bytes in all \(member 'part2/Cases.exp' declares",
    ):
        fetch(env, CASES)
    nothing_landed(env)


def test_a_zip_lying_about_its_sizes_is_stopped_while_inflating(env, tmp_path):
    """The directory claims 10x more compressed bytes than there are, so the declared ratio
    (about 100:1) passes; an incompressible member behind it gives the over-read somewhere to go, so
    zipfile itself would inflate all 64 MiB. The compressed bytes actually consumed give it
    away a MiB in."""
    members = {"Cases.exp": bytes(64 << 20), "padding.bin": random.Random(0).randbytes(1 << 20)}
    bomb = deflated_zip(env["folder"] / "bundle.zip", members)
    lie_about_compressed_size(bomb, 10)
    with zipfile.ZipFile(bomb) as zf:
        info = zf.getinfo("Cases.exp")
        assert 50 < info.file_size / info.compress_size < 200
        assert len(zf.read("Cases.exp")) == 64 << 20  # not even a CRC error: only the ratio
    limits = ZipLimits(max_total_bytes=2 << 30, max_ratio=200)
    with pytest.raises(ZipRejected, match=r"member 'Cases.exp' inflated to [\d,]+ bytes from"):
        fetch(env, CASES)
    nothing_landed(env)
    dest = tmp_path / "out.exp"
    with pytest.raises(ZipRejected, match="inflated to"):
        extract_member(bomb, "Cases.exp", dest, limits, "bundle.zip")
    assert dest.stat().st_size <= (1 << 20) + (64 << 10)  # the free MiB and one block


def test_a_small_member_may_compress_well_and_other_methods_are_refused(env):
    rows = [line("cases", case_id=f"C{n}", case_number="2026-1") for n in range(1, 3)]
    text = ("\n".join(rows * 5000) + "\n").encode()  # the same two lines: deflates ~500:1
    zipped = deflated_zip(env["folder"] / "bundle.zip", {"Cases.exp": text})
    assert len(text) / zipfile.ZipFile(zipped).getinfo("Cases.exp").compress_size > 200
    landed = fetch(env, CASES)  # under a MiB: the ratio does not apply
    assert landed.size_bytes == len(text)
    deflated_zip(env["folder"] / "bundle.zip", {"Cases.exp": text}, zipfile.ZIP_BZIP2)
    with pytest.raises(ZipRejected, match=r"compression method 12; only stored and deflated"):
        fetch(env, CASES)
