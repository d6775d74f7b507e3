"""File sources: where the county's bulk files come from (Dagster-free).

A source is a folder tree with one folder per cadence and partition:
`daily/YYYY-MM-DD/`, `weekly/YYYY-MM-DD/` (the Monday), `monthly/YYYY-MM/`.
File names match case-insensitively. The local folder is the embedded default;
remote sources (SFTP, HTTPS) implement the same two methods.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol


@dataclass(frozen=True)
class SourceFile:
    name: str  # as found at the source, e.g. "officialrecords.EXP"
    relative_path: str  # "daily/2026-01-05/officialrecords.EXP": lineage in staged rows
    uri: str  # where it was found, for metadata (never carries a secret)


class FileSource(Protocol):
    def describe(self) -> str: ...

    def list_files(self, cadence: str, partition_key: str) -> list[SourceFile]: ...

    def fetch(self, file: SourceFile, dest: Path) -> Path: ...


def partition_folder(cadence: str, partition_key: str) -> str:
    return f"{cadence}/{partition_key}"


def find(files: list[SourceFile], file_name: str) -> SourceFile | None:
    wanted = file_name.lower()
    return next((f for f in files if f.name.lower() == wanted), None)


class LocalFolderSource:
    def __init__(self, root: str | Path):
        self.root = Path(root)

    def describe(self) -> str:
        return f"local folder {self.root.resolve()}"

    def list_files(self, cadence: str, partition_key: str) -> list[SourceFile]:
        folder = self.root / partition_folder(cadence, partition_key)
        if not folder.is_dir():
            return []
        return [
            SourceFile(p.name, f"{partition_folder(cadence, partition_key)}/{p.name}", str(p.resolve()))
            for p in sorted(folder.iterdir())
            if p.is_file()
        ]

    def fetch(self, file: SourceFile, dest: Path) -> Path:
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(self.root / file.relative_path, dest)
        return dest
