"""The archive store against a local S3-compatible server (moto in server mode, over HTTP)."""

import boto3
import pytest

from pipelines.county.ingest import fetch_file, stage_file
from pipelines.county.sources import LocalFolderSource
from pipelines.db.engine import get_engine
from pipelines.db.schema.layouts import get_layout
from pipelines.stores.archive import open_archive
from tests.builders import doc, write_partition
from tests.servers import free_port

DAY = "2026-01-05"


@pytest.fixture
def s3(monkeypatch):
    from moto.server import ThreadedMotoServer

    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    endpoint = f"http://127.0.0.1:{port}"
    for key, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "FOLIO_S3_ENDPOINT_URL": endpoint,
    }.items():
        monkeypatch.setenv(key, value)
    client = boto3.client("s3", endpoint_url=endpoint)
    client.create_bucket(Bucket="folio-archive")
    yield client
    server.stop()


def test_landed_files_are_archived_to_s3_and_staged_from_there(s3, sqlite_url, tmp_path):
    write_partition(
        tmp_path / "src",
        DAY,
        {"OfficialRecords.exp": doc(1, "20260105", "WD", "3040120010010", consideration_1="1")},
    )
    archive = open_archive("s3://folio-archive/county")
    engine, layout = get_engine(sqlite_url), get_layout("official_records")
    landed = fetch_file(
        engine, LocalFolderSource(tmp_path / "src"), layout, DAY, tmp_path / "landing", archive
    )
    key = f"county/daily/{DAY}/{landed.sha256}/OfficialRecords.exp"
    body = s3.get_object(Bucket="folio-archive", Key=key)["Body"].read()
    assert body == (tmp_path / "src" / "daily" / DAY / "OfficialRecords.exp").read_bytes()
    assert not any(p.is_file() for p in (tmp_path / "landing").rglob("*"))  # landing cleaned
    report = stage_file(engine, layout, DAY, archive)  # read back from the bucket
    assert report.counts.staged == 2


def test_reports_are_stored_in_and_served_from_a_bucket(s3, sqlite_url, monkeypatch):
    """The report store is the same store: with FOLIO_REPORTS_URL=s3://…, a built export
    lands in the bucket with its sha256, and the download link serves it from there."""
    import hashlib
    from urllib.parse import urlsplit

    from fastapi.testclient import TestClient

    from pipelines.http.app import app
    from pipelines.reports.requests import ReportRequestIn, build_request, request_report
    from tests.listing_helpers import tenant_with_subscribers

    monkeypatch.setenv("FOLIO_DATABASE_URL", sqlite_url)
    monkeypatch.setenv("FOLIO_REPORTS_URL", "s3://folio-archive/reports")
    tenant, _, key = tenant_with_subscribers(sqlite_url, "acme", [])
    engine = get_engine(sqlite_url)
    rid = request_report(engine, tenant["id"], ReportRequestIn(kind="leads_export", format="xlsx"))
    built = build_request(engine, rid)
    assert built.state == "ready" and built.report["uri"].startswith("s3://folio-archive/reports/")
    stored = s3.get_object(Bucket="folio-archive", Key=f"reports/{built.report['store_key']}")
    body = stored["Body"].read()
    assert hashlib.sha256(body).hexdigest() == built.report["sha256"]
    client = TestClient(app)
    view = client.get(f"/reports/{rid}", headers={"X-API-Key": key}).json()
    download = client.get(urlsplit(view["url"]).path)
    assert download.status_code == 200 and download.content == body
