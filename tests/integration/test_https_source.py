"""HTTPS source against a real local HTTP server: 200, 404, 500 then 200, a body cut
mid-stream, and the auth key kept out of every log, URI and metadata."""

import logging

import pytest
from sqlalchemy import func, select

from pipelines.county.ingest import fetch_file, stage_file
from pipelines.county.sources import SourceFileMissing, TransientSourceError
from pipelines.county.sources.https import HttpsSource
from pipelines.db.engine import get_engine
from pipelines.db.schema import STAGED_TABLES, raw_files
from pipelines.db.schema.layouts import get_layout
from pipelines.stores.archive import LocalArchive
from tests.builders import doc
from tests.dagster_helpers import materializations, run_daily
from tests.servers import FileServer

OR = get_layout("official_records")
DAY = "2026-01-05"
BODY = ("\n".join(doc(1, "20260105", "DEE", "3040120010010", consideration_1="1")) + "\n").encode()
SECRET = "s3cr3t-key-123"


@pytest.fixture
def server():
    with FileServer() as srv:
        srv.files[f"/bulk/daily/{DAY}/OfficialRecords.exp"] = BODY
        yield srv


def source(server) -> HttpsSource:
    return HttpsSource(server.url + "/bulk/{cadence}/{partition}/{name}", retry_delay=0.01)


def test_200_lands_the_file_and_sends_the_key_as_a_parameter(
    server, sqlite_url, tmp_path, monkeypatch
):
    monkeypatch.setenv("FOLIO_SOURCE_AUTH_KEY", SECRET)
    landed = fetch_file(
        get_engine(sqlite_url),
        source(server),
        OR,
        DAY,
        tmp_path / "landing",
        LocalArchive(tmp_path / "archive"),
    )
    assert landed.size_bytes == len(BODY) and landed.file_name == f"daily/{DAY}/OfficialRecords.exp"
    assert server.requests[-1][1] == {"authKey": [SECRET]}
    assert SECRET not in landed.source_uri


def test_404_is_missing_with_the_url_in_the_message(server, tmp_path):
    src = source(server)
    missing = next(f for f in src.list_files("daily", DAY) if f.name == "Cases.exp")
    with pytest.raises(
        SourceFileMissing,
        match=r"daily/2026-01-05/Cases.exp: not found at http://127.0.0.1:\d+/bulk",
    ):
        src.fetch(missing, tmp_path / "x")


def test_500_then_200_is_retried(server, tmp_path):
    server.script[f"/bulk/daily/{DAY}/OfficialRecords.exp"] = ["500", "500"]
    src = source(server)
    f = next(f for f in src.list_files("daily", DAY) if f.name == "OfficialRecords.exp")
    assert src.fetch(f, tmp_path / "x").read_bytes() == BODY
    assert len(server.requests) == 3


def test_truncated_body_lands_nothing_then_the_retry_succeeds(server, sqlite_url, tmp_path):
    path = f"/bulk/daily/{DAY}/OfficialRecords.exp"
    engine, archive, landing = (
        get_engine(sqlite_url),
        LocalArchive(tmp_path / "archive"),
        tmp_path / "landing",
    )
    server.script[path] = ["truncate"] * 3  # every in-step attempt is cut mid-body
    with pytest.raises(TransientSourceError, match="RemoteProtocolError|truncated"):
        fetch_file(engine, source(server), OR, DAY, landing, archive)
    assert [p for p in landing.rglob("*") if p.is_file()] == []  # no half file landed
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(raw_files)).scalar_one() == 0
    server.script[path] = ["truncate"]  # the next run: cut once, then whole
    landed = fetch_file(engine, source(server), OR, DAY, landing, archive)
    assert landed.size_bytes == len(BODY)
    report = stage_file(engine, OR, DAY, archive)
    assert report.counts.staged == 2


def test_auth_key_never_in_logs_or_metadata(server, sqlite_url, tmp_path, monkeypatch, caplog):
    monkeypatch.setenv("FOLIO_SOURCE_AUTH_KEY", SECRET)
    for name, body in (
        ("Cases.exp", b"C1^2026-1\n"),
        ("Parties.exp", b"C1^1\n"),
        ("Dockets.exp", b"C1^1\n"),
        ("Docktext.exp", b"C1^1^1^x\n"),
    ):
        server.files[f"/bulk/daily/{DAY}/{name}"] = body
    server.script[f"/bulk/daily/{DAY}/Cases.exp"] = ["500"]
    caplog.set_level(logging.DEBUG)
    result = run_daily(
        sqlite_url, server.url + "/bulk/{cadence}/{partition}/{name}", [DAY], tmp_path / "landing"
    )
    assert result.success
    everything = repr(
        [materializations(result, a) for a in ("raw_official_records", "raw_cases", "staged_cases")]
    )
    everything += caplog.text + repr([e.message for e in result.all_events])
    with get_engine(sqlite_url).connect() as conn:
        everything += repr(conn.execute(select(raw_files)).all())
        assert (
            conn.execute(select(func.count()).select_from(STAGED_TABLES["cases"])).scalar_one() == 1
        )
    assert SECRET not in everything
    assert "http://127.0.0.1" in everything  # the URIs are there, without the key


def test_an_unreachable_source_fails_the_run_at_once_with_the_reason(tmp_path):
    """Connection refused: no waiting out in-step retries or the job's 5-minute retries."""
    import os
    import subprocess
    import sys

    from tests.servers import free_port

    url = f"http://127.0.0.1:{free_port()}/{{cadence}}/{{partition}}/{{name}}"  # nobody listens
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "pipelines.cli",
            "run",
            "daily",
            "--date",
            "2026-01-05",
            "--source",
            url,
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "COLUMNS": "300"},
    )
    said = " ".join(proc.stdout.split())
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "raw_" in said and "cannot connect" in said and "Connection refused" in said
    # Failed without a retry: no step was put up for retry (the old path waited out three
    # attempts five minutes apart).
    from dagster import DagsterEventType, DagsterInstance

    instance = DagsterInstance.get()
    [run] = instance.get_runs()
    retries = instance.all_logs(run.run_id, of_type=DagsterEventType.STEP_UP_FOR_RETRY)
    assert (run.status.value, retries) == ("FAILURE", [])


def test_a_key_written_into_the_source_url_is_sent_but_kept_out_of_uris_and_errors(
    server, sqlite_url, tmp_path
):
    """FOLIO_SOURCE_URL=…?authKey=<key>: the key goes to the server as a parameter, and
    nowhere else: not the file's URI (stored in raw_files), describe(), or any error."""
    template = server.url + "/bulk/{cadence}/{partition}/{name}?authKey=" + SECRET + "&v=2"
    src = HttpsSource(template, retry_delay=0.01)
    landed = fetch_file(
        get_engine(sqlite_url), src, OR, DAY, tmp_path / "landing", LocalArchive(tmp_path / "a")
    )
    assert server.requests[-1][1] == {"authKey": [SECRET], "v": ["2"]}
    assert landed.source_uri == f"{server.url}/bulk/daily/{DAY}/OfficialRecords.exp?v=2"
    assert SECRET not in src.describe()
    cases = next(f for f in src.list_files("daily", DAY) if f.name == "Cases.exp")
    with pytest.raises(SourceFileMissing) as missing:
        src.fetch(cases, tmp_path / "x")
    assert str(missing.value) == (
        f"daily/{DAY}/Cases.exp: not found at {server.url}/bulk/daily/{DAY}/Cases.exp?v=2 "
        "(HTTP 404)"
    )
    server.script[f"/bulk/daily/{DAY}/OfficialRecords.exp"] = ["500"] * 3
    records = next(f for f in src.list_files("daily", DAY) if f.name == "OfficialRecords.exp")
    with pytest.raises(TransientSourceError) as failed:
        src.fetch(records, tmp_path / "y")
    assert SECRET not in str(failed.value) and str(failed.value).endswith(": HTTP 500")


def test_an_error_naming_a_uri_with_a_key_is_redacted(tmp_path, monkeypatch):
    """A source built on a URI that carries a credential (however it got there): the
    message masks it."""
    from pipelines.county.sources import SourceError, SourceFile
    from tests.servers import free_port

    monkeypatch.setenv("FOLIO_SOURCE_AUTH_KEY", SECRET)
    src = HttpsSource(f"http://127.0.0.1:{free_port()}/{{name}}", retry_delay=0.01)
    uri = f"http://127.0.0.1:{free_port()}/x?token={SECRET}"
    with pytest.raises(SourceError) as refused:
        src.fetch(SourceFile("x", "daily/x", uri), tmp_path / "x")
    assert SECRET not in str(refused.value) and "token=[redacted]" in str(refused.value)
