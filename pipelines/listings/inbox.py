"""The inbox folder: a tenant drops a listing file in `inbox/<tenant-slug>/` and it is taken in.

Files are found by the inbox sensor and processed one run per file (run_key = tenant and
the sha256 of its bytes). Once processed, a file moves to
`inbox/<slug>/processed/<sha256>-<name>`; a
later copy of the same bytes is recognised and moved aside as `.duplicate` without a
second run. A file that cannot be read at all moves to `failed/` with a `.reason.txt`.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine

from pipelines.listings.readers import SUFFIXES, FileFormatError, read_records
from pipelines.listings.store import IntakeResult, ingest_records
from pipelines.settings import get_settings


@dataclass(frozen=True)
class InboxFile:
    tenant_slug: str
    path: Path
    sha256: str


def inbox_dir() -> Path:
    return (get_settings().data_dir / "inbox").resolve()


def _done_name(item: InboxFile) -> str:
    return f"{item.sha256}-{item.path.name}"


def scan_inbox(root: Path | None = None) -> tuple[list[InboxFile], list[Path]]:
    """New files per tenant folder, and copies of files already processed (moved aside)."""
    root = root or inbox_dir()
    found, duplicates = [], []
    if not root.exists():
        return found, duplicates
    for tenant_dir in sorted(p for p in root.iterdir() if p.is_dir()):
        for path in sorted(p for p in tenant_dir.iterdir() if p.is_file()):
            if path.suffix.lower() not in SUFFIXES or path.name.startswith("."):
                continue
            sha = hashlib.sha256(path.read_bytes()).hexdigest()
            item = InboxFile(tenant_dir.name, path, sha)
            processed = tenant_dir / "processed"
            if processed.is_dir() and any(
                p.suffix != ".duplicate" for p in processed.glob(f"{sha}-*")
            ):
                target = processed / (_done_name(item) + ".duplicate")
                path.replace(target)
                duplicates.append(target)
            else:
                found.append(item)
    return found, duplicates


def process_inbox_file(engine: Engine, tenant: dict, item: InboxFile) -> IntakeResult:
    """Take one file in; on success it moves to processed/, if unreadable to failed/."""
    data = item.path.read_bytes()
    actual = hashlib.sha256(data).hexdigest()
    if actual != item.sha256:
        raise FileFormatError(
            f"{item.path.name} changed since it was found (sha256 {actual[:12]}…): "
            "the next sensor tick takes the new version"
        )
    folder = item.path.parent
    try:
        records = read_records(item.path, data)
    except FileFormatError as exc:
        failed = folder / "failed"
        failed.mkdir(exist_ok=True)
        item.path.replace(failed / _done_name(item))
        (failed / (_done_name(item) + ".reason.txt")).write_text(str(exc) + "\n")
        raise
    result = ingest_records(
        engine, tenant, records, "inbox", f"inbox/{item.tenant_slug}/{item.path.name}", item.sha256
    )
    processed = folder / "processed"
    processed.mkdir(exist_ok=True)
    item.path.replace(processed / _done_name(item))
    return result
