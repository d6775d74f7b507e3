"""SFTP source against a real OpenSSH sshd: list, fetch, host key and password refusals,
a file vanishing between listing and fetching, and the daily assets end to end."""

import pytest

from pipelines.county.sources import SourceError, SourceFileMissing, find
from pipelines.county.sources.sftp import SftpSource
from tests.builders import doc, write_partition
from tests.dagster_helpers import check_results, materializations, run_daily
from tests.flow import property_rows

DAY = "2026-01-05"


@pytest.fixture
def remote(tmp_path):
    root = tmp_path / "remote"
    write_partition(
        root,
        DAY,
        {
            "OfficialRecords.exp": doc(
                1, "20260105", "WD", "3040120010010", consideration_1="250000", grantee="SFTP BUYER"
            )
        },
    )
    (root / "daily" / DAY / "OfficialRecords.exp").rename(
        root / "daily" / DAY / "officialrecords.EXP"
    )
    return root


def client(sshd, root, **kw) -> SftpSource:
    opts = dict(
        host="127.0.0.1",
        port=sshd.port,
        username=sshd.user,
        root=str(root),
        key_file=str(sshd.user_key),
        known_hosts=str(sshd.known_hosts),
        retry_delay=0.01,
    )
    opts.update(kw)
    return SftpSource(**opts)


def test_list_and_fetch_with_key_auth(sshd, remote, tmp_path):
    src = client(sshd, remote)
    files = src.list_files("daily", DAY)
    assert sorted(f.name for f in files) == [
        "Cases.exp",
        "Dockets.exp",
        "Docktext.exp",
        "Parties.exp",
        "officialrecords.EXP",
    ]
    f = find(files, "OfficialRecords.exp")  # case-insensitive
    assert f.relative_path == f"daily/{DAY}/officialrecords.EXP" and f.size > 0
    got = src.fetch(f, tmp_path / "got")
    assert got.read_bytes() == (remote / "daily" / DAY / "officialrecords.EXP").read_bytes()
    assert src.list_files("daily", "2026-01-06") == []  # no folder: nothing to list
    src.close()


def test_wrong_host_key_is_refused(sshd, remote, tmp_path):
    other = tmp_path / "other_known_hosts"
    # A different ed25519 key claimed for the same host:port.
    fake = "AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl"
    other.write_text(f"[127.0.0.1]:{sshd.port} ssh-ed25519 {fake}\n")
    with pytest.raises(SourceError, match="host key does not match"):
        client(sshd, remote, known_hosts=str(other)).list_files("daily", DAY)


def test_unknown_host_key_is_refused(sshd, remote, tmp_path):
    empty = tmp_path / "empty_known_hosts"
    empty.write_text("")
    with pytest.raises(SourceError, match="host key unknown"):
        client(sshd, remote, known_hosts=str(empty)).list_files("daily", DAY)


def test_wrong_password_is_refused(sshd, remote, monkeypatch):
    monkeypatch.setenv("FOLIO_SFTP_PASSWORD", "not-the-password")
    with pytest.raises(SourceError, match="authentication refused") as err:
        client(sshd, remote, key_file=None).list_files("daily", DAY)
    assert "not-the-password" not in str(err.value)


def test_file_vanishing_after_listing_is_missing_not_a_crash(sshd, remote, tmp_path):
    src = client(sshd, remote)
    f = find(src.list_files("daily", DAY), "Cases.exp")
    (remote / "daily" / DAY / "Cases.exp").unlink()
    with pytest.raises(SourceFileMissing, match=f"daily/{DAY}/Cases.exp vanished"):
        src.fetch(f, tmp_path / "got")


def test_daily_assets_over_sftp(sshd, remote, sqlite_url, tmp_path, monkeypatch):
    monkeypatch.setenv("FOLIO_SFTP_KEY_FILE", str(sshd.user_key))
    monkeypatch.setenv("FOLIO_SFTP_KNOWN_HOSTS", str(sshd.known_hosts))
    url = f"sftp://{sshd.user}@127.0.0.1:{sshd.port}{remote}"
    result = run_daily(sqlite_url, url, [DAY], tmp_path / "landing")
    assert result.success
    raw = materializations(result, "raw_official_records")
    assert raw["source"] == f"sftp://{sshd.user}@127.0.0.1:{sshd.port}{remote}" and raw["bytes"] > 0
    assert all(
        check_results(result).get((f"raw_{f}", "file_present"))
        for f in ("official_records", "cases")
    )
    assert property_rows(sqlite_url)["3040120010010"]["owner_name"] == "SFTP BUYER"
