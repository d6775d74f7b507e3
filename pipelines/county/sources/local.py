"""The embedded default source: a folder on this machine."""

from __future__ import annotations

import shutil
from pathlib import Path

from pipelines.county.sources.base import SourceFile, SourceFileMissing, partition_folder


class LocalFolderSource:
    def __init__(self, root: str | Path):
        self.root = Path(root)

    def describe(self) -> str:
        return f"local folder {self.root.resolve()}"

    def list_files(self, cadence: str, partition_key: str) -> list[SourceFile]:
        rel = partition_folder(cadence, partition_key)
        folder = self.root / rel
        if not folder.is_dir():
            return []
        return [
            SourceFile(p.name, f"{rel}/{p.name}", str(p.resolve()), p.stat().st_size)
            for p in sorted(folder.iterdir())
            if p.is_file()
        ]

    def fetch(self, file: SourceFile, dest: Path) -> Path:
        try:
            shutil.copyfile(self.root / file.relative_path, dest)
        except FileNotFoundError as exc:
            raise SourceFileMissing(
                f"{file.relative_path} vanished from {self.describe()}"
            ) from exc
        return dest
