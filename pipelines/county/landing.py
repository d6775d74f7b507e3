"""The landing area: every fetched file hashed on arrival and recorded in raw_files.

Downloads go to a temporary name and are renamed to `landing/<sha256[:2]>/<sha256>/<name>`
only once complete, so a fetch that dies half-way leaves nothing landed. The same bytes
re-sent are recognised by their hash; a different file for the same partition becomes
the partition's latest file (and the old one stays archived).
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine, select

from pipelines import clock
from pipelines.db.schema import raw_files
from pipelines.db.upsert import upsert

CHUNK = 1 << 20


@dataclass
class LandedFile:
    file_type: str
    file_name: str  # relative path in the source tree, e.g. daily/2026-01-05/OfficialRecords.exp
    sha256: str
    size_bytes: int
    archive_uri: str  # where the file is kept: staging reads it from there
    source_uri: str
    already_known: bool  # the same bytes were landed for this partition before
    download_seconds: float = 0.0


def sha256_file(path: Path) -> tuple[str, int]:
    h, size = hashlib.sha256(), 0
    with open(path, "rb") as fh:
        while chunk := fh.read(CHUNK):
            h.update(chunk)
            size += len(chunk)
    return h.hexdigest(), size


def land(fetch: Callable[[Path], object], landing_dir: Path, name: str) -> tuple[Path, str, int]:
    """Fetch into a temporary name in the landing area, hash it, then rename atomically:
    a fetch that dies half-way never leaves a landed file behind."""
    landing_dir.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=landing_dir, prefix=".landing-")
    os.close(fd)
    try:
        fetch(Path(tmp))
        digest, size = sha256_file(Path(tmp))
        final = landing_dir / digest[:2] / digest / Path(name).name
        final.parent.mkdir(parents=True, exist_ok=True)
        os.replace(tmp, final)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return final, digest, size


def record_raw_file(
    engine: Engine,
    *,
    cadence: str,
    partition_key: str,
    file_type: str,
    file_name: str,
    sha256: str,
    size_bytes: int,
    source_uri: str,
    archive_uri: str,
) -> LandedFile:
    latest = latest_raw_file(engine, cadence, partition_key, file_type)
    if latest is not None and latest["sha256"] == sha256:  # the same file again: nothing changes
        return LandedFile(file_type, file_name, sha256, size_bytes, archive_uri, source_uri, True)
    row = {
        "cadence": cadence,
        "partition_key": partition_key,
        "file_type": file_type,
        "file_name": file_name,
        "sha256": sha256,
        "size_bytes": size_bytes,
        "source_uri": source_uri,
        "archive_uri": archive_uri,
        "fetched_at": clock.now(),
    }
    # An older file coming back (A, then B, then A again) becomes the latest once more.
    with engine.begin() as conn:
        upsert(
            conn,
            raw_files,
            [row],
            ["cadence", "partition_key", "file_type", "sha256"],
            update=["fetched_at", "file_name", "source_uri"],
        )
    return LandedFile(file_type, file_name, sha256, size_bytes, archive_uri, source_uri, False)


def latest_raw_file(
    engine: Engine, cadence: str, partition_key: str, file_type: str
) -> dict | None:
    """The file most recently landed for this partition and type (a re-sent different
    file replaces the older one; identical re-sends keep their first row)."""
    q = (
        select(raw_files)
        .where(
            raw_files.c.cadence == cadence,
            raw_files.c.partition_key == partition_key,
            raw_files.c.file_type == file_type,
        )
        .order_by(raw_files.c.fetched_at.desc(), raw_files.c.id.desc())
        .limit(1)
    )
    with engine.connect() as conn:
        row = conn.execute(q).mappings().first()
    return dict(row) if row else None
