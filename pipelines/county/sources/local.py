"""The embedded default source: a folder on this machine.

It never leaves its root. Every path below the root is opened one component at a time,
relative to the folder above and without following symbolic links (O_NOFOLLOW), so a
symlink — to a file or a folder, pointing inside the root or out of it — and a path with
`..` are refused with a message naming them: never followed, archived or parsed, and no
check-then-open race. (The root itself may be a link: that is the operator's choice.)
"""

from __future__ import annotations

import errno
import os
import shutil
import stat
from pathlib import Path, PurePosixPath

from pipelines.county.sources.base import (
    PathRefused,
    SourceFile,
    SourceFileMissing,
    partition_folder,
)

_DIR = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
# O_NONBLOCK: a FIFO planted under the root cannot hang the open (it is then refused).
_FILE = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC


def _is_link(name: str, dir_fd: int) -> bool:
    try:
        return stat.S_ISLNK(os.stat(name, dir_fd=dir_fd, follow_symlinks=False).st_mode)
    except OSError:
        return False


class LocalFolderSource:
    def __init__(self, root: str | Path):
        self.root = Path(root)

    def describe(self) -> str:
        return f"local folder {self.root.resolve()}"

    def _open(self, relative: str, file: bool) -> int:
        """A descriptor for `relative` below the root, opened without following any link."""
        p = PurePosixPath(relative)
        if p.is_absolute() or ".." in p.parts or not p.parts:
            raise PathRefused(
                f"{relative!r} would leave {self.describe()} (an absolute path or '..') — refused"
            )
        fd = os.open(self.root, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
        try:
            for i, part in enumerate(p.parts):
                flags = _FILE if file and i == len(p.parts) - 1 else _DIR
                try:
                    below = os.open(part, flags, dir_fd=fd)
                except OSError as exc:
                    # O_NOFOLLOW gives ELOOP on a link, or ENOTDIR with O_DIRECTORY
                    if exc.errno in (errno.ELOOP, errno.ENOTDIR) and _is_link(part, fd):
                        raise PathRefused(
                            f"{'/'.join(p.parts[: i + 1])} in {self.describe()} is a symbolic "
                            f"link: a local source never leaves its folder — refused (copy "
                            f"the file in instead)"
                        ) from None
                    raise
                os.close(fd)
                fd = below
            return fd
        except BaseException:
            os.close(fd)
            raise

    def list_files(self, cadence: str, partition_key: str) -> list[SourceFile]:
        """Regular files, and symbolic links (listed so that fetching one is refused by name
        rather than the file looking absent)."""
        rel = partition_folder(cadence, partition_key)
        try:
            fd = self._open(rel, file=False)
        except (FileNotFoundError, NotADirectoryError):
            return []
        try:
            with os.scandir(fd) as it:
                entries = sorted(
                    (e.name, e.is_symlink(), e.stat(follow_symlinks=False))
                    for e in it
                    if e.is_symlink() or e.is_file(follow_symlinks=False)
                )
        finally:
            os.close(fd)
        folder = self.root.resolve() / rel
        return [
            SourceFile(name, f"{rel}/{name}", str(folder / name), None if link else st.st_size)
            for name, link, st in entries
        ]

    def fetch(self, file: SourceFile, dest: Path) -> Path:
        try:
            fd = self._open(file.relative_path, file=True)
        except (FileNotFoundError, NotADirectoryError) as exc:
            raise SourceFileMissing(
                f"{file.relative_path} vanished from {self.describe()}"
            ) from exc
        with os.fdopen(fd, "rb") as src:
            if not stat.S_ISREG(os.fstat(src.fileno()).st_mode):
                raise PathRefused(
                    f"{file.relative_path} in {self.describe()} is not a regular file — refused"
                )
            with open(dest, "wb") as out:
                shutil.copyfileobj(src, out, 1 << 20)
        return dest
