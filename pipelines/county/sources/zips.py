"""Zip bundles in a partition folder (`daily_civil_MMDDYYYY.zip`): members count as if
they were in the folder. A member whose path escapes the folder (`../`, absolute) or a
file that is not a sound zip is rejected with a clear error, never half-extracted."""

from __future__ import annotations

import shutil
import zipfile
from pathlib import Path, PurePosixPath

from pipelines.county.sources.base import SourceError


class ZipRejected(SourceError):
    pass


def safe_members(zip_path: Path, label: str) -> list[str]:
    """Member names of a zip that passed every check (zip structure, CRCs, paths)."""
    if not zipfile.is_zipfile(zip_path):
        raise ZipRejected(f"{label} is not a zip file")
    try:
        with zipfile.ZipFile(zip_path) as zf:
            bad = zf.testzip()
            names = [i.filename for i in zf.infolist() if not i.is_dir()]
    except (zipfile.BadZipFile, OSError, EOFError) as exc:
        raise ZipRejected(f"{label} is corrupt: {exc}") from exc
    if bad is not None:
        raise ZipRejected(f"{label} is corrupt: member {bad!r} fails its CRC check")
    for name in names:
        p = PurePosixPath(name.replace("\\", "/"))
        if p.is_absolute() or ".." in p.parts:
            raise ZipRejected(f"{label}: member {name!r} escapes the partition folder — rejected")
    return names


def find_member(names: list[str], file_name: str) -> str | None:
    """The member whose base name matches, case-insensitively (nested folders allowed)."""
    wanted = file_name.lower()
    return next(
        (n for n in names if PurePosixPath(n.replace("\\", "/")).name.lower() == wanted), None
    )


def extract_member(zip_path: Path, member: str, dest: Path) -> Path:
    with zipfile.ZipFile(zip_path) as zf, zf.open(member) as src, open(dest, "wb") as out:
        shutil.copyfileobj(src, out)
    return dest
