"""The report store: built reports kept as files (local folder by default, an S3-compatible
bucket with FOLIO_REPORTS_URL=s3://bucket/prefix): the same store interface as the archive.
Each stored file is a `reports` row with its sha256 and size."""

from __future__ import annotations

import hashlib
import tempfile
from pathlib import Path

from sqlalchemy import Engine, select

from pipelines import clock
from pipelines.db.schema import reports
from pipelines.settings import get_settings
from pipelines.stores.archive import ArchiveStore, open_archive

MEDIA_TYPES = {
    "pdf": "application/pdf",
    "csv": "text/csv",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def report_store() -> ArchiveStore:
    return open_archive(get_settings().resolved_reports_url)


def save_report(
    engine: Engine,
    store: ArchiveStore,
    kind: str,
    fmt: str,
    data: bytes,
    tenant_id: int | None = None,
    period: str | None = None,
) -> dict:
    """Store the bytes and record them; returns the `reports` row as a dict."""
    sha = hashlib.sha256(data).hexdigest()
    key = f"{tenant_id or 'county'}/{kind}/{period or 'on-request'}/{sha}.{fmt}"
    with tempfile.TemporaryDirectory() as tmp:
        local = Path(tmp) / f"report.{fmt}"
        local.write_bytes(data)
        uri = store.put(local, key)
    row = {
        "tenant_id": tenant_id,
        "kind": kind,
        "period": period,
        "format": fmt,
        "store_key": key,
        "uri": uri,
        "sha256": sha,
        "bytes": len(data),
        "created_at": clock.now(),
    }
    with engine.begin() as conn:
        row["id"] = conn.execute(reports.insert().values(**row)).inserted_primary_key[0]
    return row


def fetch_report(engine: Engine, report_id: int, tenant_id: int | None, dest: Path) -> dict | None:
    """Copy a stored report to `dest`; None when it is not this tenant's (or a county report)."""
    with engine.connect() as conn:
        row = conn.execute(select(reports).where(reports.c.id == report_id)).mappings().first()
    if row is None or row["tenant_id"] not in (None, tenant_id):
        return None
    report_store().get_uri(row["uri"], dest)
    return dict(row)


def tenants_reported(engine: Engine, kind: str, period: str) -> set[int]:
    """The tenants with a stored report of `kind` for `period` (a periodic report's check)."""
    q = select(reports.c.tenant_id).where(reports.c.kind == kind, reports.c.period == period)
    with engine.connect() as conn:
        return {t for (t,) in conn.execute(q.distinct()).all() if t is not None}


def reports_of(engine: Engine, kind: str, period: str) -> dict[int, int]:
    """{tenant id: its newest stored report of `kind` for `period`} (what a periodic email
    links to)."""
    q = (
        select(reports.c.tenant_id, reports.c.id)
        .where(reports.c.kind == kind, reports.c.period == period, reports.c.tenant_id.is_not(None))
        .order_by(reports.c.id)
    )
    with engine.connect() as conn:
        return {tenant: rid for tenant, rid in conn.execute(q).all()}
