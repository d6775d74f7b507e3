"""A local folder source never leaves its root: a symbolic link (to a file or a folder,
pointing out of the root or inside it) and a path with `..` are refused by name, and nothing
is landed, archived or recorded."""

import os
import zipfile

import pytest
from sqlalchemy import select

from pipelines.county.ingest import fetch_file
from pipelines.county.sources import LocalFolderSource, SourceFile
from pipelines.county.sources.base import PathRefused
from pipelines.db.engine import get_engine
from pipelines.db.schema import raw_files
from pipelines.db.schema.layouts import get_layout
from pipelines.stores.archive import LocalArchive
from tests.builders import doc

DAY = "2026-01-05"
OR = get_layout("official_records")
BODY = ("\n".join(doc(1, "20260105", "DEE", "3040120010010")) + "\n").encode()


@pytest.fixture
def env(sqlite_url, tmp_path):
    root = tmp_path / "src"
    (root / "daily" / DAY).mkdir(parents=True)
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.exp").write_bytes(BODY)
    return dict(
        engine=get_engine(sqlite_url),
        root=root,
        folder=root / "daily" / DAY,
        outside=outside,
        landing=tmp_path / "landing",
        archive=LocalArchive(tmp_path / "archive"),
    )


def fetch(env, root=None):
    source = LocalFolderSource(root or env["root"])
    return fetch_file(env["engine"], source, OR, DAY, env["landing"], env["archive"])


def nothing_landed(env):
    with env["engine"].connect() as conn:
        assert conn.execute(select(raw_files)).first() is None
    assert not any(p.is_file() for p in env["landing"].rglob("*"))
    assert not any(p.is_file() for p in env["archive"].root.rglob("*"))


def test_a_plain_file_is_fetched(env):
    (env["folder"] / "OfficialRecords.exp").write_bytes(BODY)
    assert fetch(env).size_bytes == len(BODY)


@pytest.mark.parametrize("target", ["outside", "inside"])
def test_a_symlinked_file_is_refused_by_name(env, target):
    if target == "outside":
        pointed = env["outside"] / "secret.exp"
    else:  # another partition's file, under the root: a link all the same
        other = env["root"] / "daily" / "2026-01-02"
        other.mkdir()
        pointed = other / "OfficialRecords.exp"
        pointed.write_bytes(BODY)
    (env["folder"] / "OfficialRecords.exp").symlink_to(pointed)
    with pytest.raises(
        PathRefused,
        match=rf"^daily/{DAY}/OfficialRecords.exp in local folder .* is a symbolic link: a local "
        r"source never leaves its folder — refused",
    ):
        fetch(env)
    nothing_landed(env)


def test_a_symlinked_zip_is_refused(env, tmp_path):
    with zipfile.ZipFile(env["outside"] / "bundle.zip", "w") as zf:
        zf.writestr("OfficialRecords.exp", BODY)
    (env["folder"] / "bundle.zip").symlink_to(env["outside"] / "bundle.zip")
    with pytest.raises(PathRefused, match=rf"^daily/{DAY}/bundle.zip in .* is a symbolic link"):
        fetch(env)
    nothing_landed(env)


def test_a_symlinked_partition_or_cadence_folder_is_refused(env):
    (env["outside"] / "OfficialRecords.exp").write_bytes(BODY)
    env["folder"].rmdir()
    env["folder"].symlink_to(env["outside"], target_is_directory=True)
    with pytest.raises(PathRefused, match=rf"^daily/{DAY} in .* is a symbolic link"):
        fetch(env)
    os.unlink(env["folder"])
    os.rename(env["root"] / "daily", env["outside"] / "daily")
    (env["root"] / "daily").symlink_to(env["outside"] / "daily", target_is_directory=True)
    with pytest.raises(PathRefused, match=r"^daily in .* is a symbolic link"):
        fetch(env)
    nothing_landed(env)


def test_paths_with_dotdot_are_refused(env):
    (env["outside"] / "OfficialRecords.exp").write_bytes(BODY)
    source = LocalFolderSource(env["root"])
    with pytest.raises(PathRefused, match=r"'daily/\.\./\.\./outside' would leave local folder"):
        source.list_files("daily", "../../outside")
    escaped = SourceFile("OfficialRecords.exp", "../outside/OfficialRecords.exp", "x")
    with pytest.raises(PathRefused, match="would leave"):
        source.fetch(escaped, env["landing"] / "x")
    with pytest.raises(PathRefused, match="would leave"):
        source.fetch(SourceFile("x", str(env["outside"] / "secret.exp"), "x"), env["landing"] / "x")


def test_the_root_itself_may_be_a_link(env, tmp_path):
    (env["folder"] / "OfficialRecords.exp").write_bytes(BODY)
    (tmp_path / "link-to-src").symlink_to(env["root"], target_is_directory=True)
    assert fetch(env, root=tmp_path / "link-to-src").size_bytes == len(BODY)


def test_a_fifo_is_not_listed_and_never_hangs_a_fetch(env):
    os.mkfifo(env["folder"] / "OfficialRecords.exp")
    source = LocalFolderSource(env["root"])
    assert source.list_files("daily", DAY) == []
    planted = SourceFile("OfficialRecords.exp", f"daily/{DAY}/OfficialRecords.exp", "x")
    env["landing"].mkdir()
    with pytest.raises(PathRefused, match="is not a regular file"):
        source.fetch(planted, env["landing"] / "x")
