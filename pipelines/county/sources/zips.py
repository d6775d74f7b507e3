"""Zip bundles in a partition folder (`daily_civil_MMDDYYYY.zip`): members count as if
they were in the folder. A member whose path escapes the folder (`../`, absolute) or a
file that is not a sound zip is rejected with a clear error, never half-extracted.

A zip bomb is refused too: the members may expand to at most `max_total_bytes` in all, and
each, past its first MiB, to at most `max_ratio` times its compressed size. Both are checked
first on what the zip declares, then again on the bytes actually inflated, block by block,
so a zip that lies about its sizes is stopped about a MiB in, never written whole."""

from __future__ import annotations

import struct
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import BinaryIO

from pipelines.county.sources.base import SourceError

BLOCK = 64 << 10  # inflated this much at a time: a refusal overshoots by at most a block
FREE_BYTES = 1 << 20  # a member may expand this much whatever its ratio (tiny files deflate well)
_METHODS = (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED)  # deflate is what county zips use
# A local file header: signature, 22 bytes we take from the central directory instead, then
# the lengths of the name and extra field that precede the member's data.
_LOCAL_HEADER = struct.Struct("<4s22xHH")


class ZipRejected(SourceError):
    pass


@dataclass(frozen=True)
class ZipLimits:
    max_total_bytes: int  # all members, uncompressed
    max_ratio: float  # uncompressed / compressed, per member, past FREE_BYTES


class _Budget:
    def __init__(self, label: str, limits: ZipLimits) -> None:
        self.label, self.limits, self.total = label, limits, 0

    def check(self, name: str, out: int, compressed: int, declared: bool) -> None:
        lim, what = self.limits, "declares" if declared else "inflated to"
        if self.total + out > lim.max_total_bytes:
            raise ZipRejected(
                f"{self.label}: members expand past {lim.max_total_bytes:,} bytes in all "
                f"(member {name!r} {what} {out:,}) — rejected (FOLIO_ZIP_MAX_TOTAL_BYTES)"
            )
        if out > max(lim.max_ratio * compressed, FREE_BYTES):
            raise ZipRejected(
                f"{self.label}: member {name!r} {what} {out:,} bytes from {compressed:,} "
                f"compressed, over {lim.max_ratio:g}:1 — a zip bomb? rejected "
                f"(FOLIO_ZIP_MAX_RATIO)"
            )


def _infos(zip_path: Path, label: str) -> list[zipfile.ZipInfo]:
    """The zip's file members, as its central directory lists them."""
    if not zipfile.is_zipfile(zip_path):
        raise ZipRejected(f"{label} is not a zip file")
    try:
        with zipfile.ZipFile(zip_path) as zf:
            return [i for i in zf.infolist() if not i.is_dir()]
    except (zipfile.BadZipFile, OSError, EOFError) as exc:
        raise ZipRejected(f"{label} is corrupt: {exc}") from exc


def _stream(fh: BinaryIO, info: zipfile.ZipInfo, budget: _Budget, sink: BinaryIO | None) -> None:
    """Inflate one member block by block, within the budget, and check its size and CRC.

    Inflated here rather than through ZipFile.open, which reads compressed input ahead of
    what it has inflated: counting exactly the compressed bytes consumed is what lets the
    ratio stop a bomb a MiB in, whatever the directory claims."""
    label, name = budget.label, info.filename

    def corrupt(why: str) -> ZipRejected:
        return ZipRejected(f"{label} is corrupt: member {name!r} {why}")

    fh.seek(info.header_offset)
    header = fh.read(_LOCAL_HEADER.size)
    if len(header) < _LOCAL_HEADER.size or header[:4] != b"PK\x03\x04":
        raise corrupt("has no local header")
    _, name_len, extra_len = _LOCAL_HEADER.unpack(header)
    fh.seek(info.header_offset + _LOCAL_HEADER.size + name_len + extra_len)
    inflate = zlib.decompressobj(-15) if info.compress_type == zipfile.ZIP_DEFLATED else None
    left, fed, out, crc = info.compress_size, 0, 0, 0

    def more() -> bytes:
        nonlocal left, fed
        data = fh.read(min(BLOCK, left)) if left > 0 else b""
        left, fed = left - len(data), fed + len(data)
        return data

    while True:
        if inflate is None:  # stored
            if left == 0:
                break
            block = more()
            if not block:
                raise corrupt("is cut short")
            consumed = fed
        else:
            if inflate.eof:
                break
            data = inflate.unconsumed_tail or more()
            try:
                block = inflate.decompress(data, BLOCK)
            except zlib.error as exc:
                raise corrupt(f"does not inflate: {exc}") from exc
            if not block and not data and not inflate.eof:
                raise corrupt("is cut short")
            consumed = fed - len(inflate.unconsumed_tail)
        out += len(block)
        if out > info.file_size:
            raise corrupt(f"inflates past its declared {info.file_size:,} bytes")
        budget.check(name, out, consumed, declared=False)
        crc = zlib.crc32(block, crc)
        if sink is not None:
            sink.write(block)
    if out != info.file_size or crc != info.CRC:
        raise corrupt("fails its CRC check")
    budget.total += out


def _checked(infos: list[zipfile.ZipInfo], label: str, limits: ZipLimits) -> list[zipfile.ZipInfo]:
    """The members, their paths, methods and declared sizes checked (nothing inflated)."""
    for i in infos:
        p = PurePosixPath(i.filename.replace("\\", "/"))
        if p.is_absolute() or ".." in p.parts:
            raise ZipRejected(
                f"{label}: member {i.filename!r} escapes the partition folder — rejected"
            )
        if i.flag_bits & 0x1:
            raise ZipRejected(f"{label}: member {i.filename!r} is encrypted — rejected")
        if i.compress_type not in _METHODS:
            raise ZipRejected(
                f"{label}: member {i.filename!r} uses compression method {i.compress_type}; "
                f"only stored and deflated members are read — rejected"
            )
    declared = _Budget(label, limits)
    for i in infos:
        declared.check(i.filename, i.file_size, i.compress_size, declared=True)
        declared.total += i.file_size
    return infos


def safe_members(zip_path: Path, label: str, limits: ZipLimits) -> list[str]:
    """Member names of a zip that passed every check (zip structure, paths, sizes, and each
    member inflated once, within the limits, to check its CRC; nothing is written)."""
    infos = _checked(_infos(zip_path, label), label, limits)
    budget = _Budget(label, limits)
    with open(zip_path, "rb") as fh:
        for info in infos:
            _stream(fh, info, budget, None)
    return [i.filename for i in infos]


def find_member(names: list[str], file_name: str) -> str | None:
    """The member whose base name matches, case-insensitively (nested folders allowed)."""
    wanted = file_name.lower()
    return next(
        (n for n in names if PurePosixPath(n.replace("\\", "/")).name.lower() == wanted), None
    )


def extract_member(
    zip_path: Path, member: str, dest: Path, limits: ZipLimits, label: str | None = None
) -> Path:
    """The member written to `dest`, within the same limits (a refused member stops the
    writing at once; the caller's landing removes the partial file)."""
    label = label or zip_path.name
    infos = _checked(_infos(zip_path, label), label, limits)
    info = next((i for i in infos if i.filename == member), None)
    if info is None:
        raise ZipRejected(f"{label}: no member {member!r}")
    with open(zip_path, "rb") as fh, open(dest, "wb") as out:
        _stream(fh, info, _Budget(label, limits), out)
    return dest
