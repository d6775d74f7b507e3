"""Declarative file layouts: which column is where and what type it holds.

Layouts are data (``layouts.toml``), not code, so the real county layout can be
swapped in (``FOLIO_LAYOUTS_FILE``) without touching the parser or the pipeline.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from pipelines.settings import get_settings

COLUMN_TYPES = {"text", "int", "money", "folio", "date_ymd", "date_mdy"}
DEFAULT_LAYOUTS_FILE = Path(__file__).with_name("layouts.toml")


class LayoutError(ValueError):
    """A layout file that cannot describe a file (unknown type, missing key column...)."""


@dataclass(frozen=True)
class Column:
    name: str
    type: str = "text"
    required: bool = False
    skip: bool = False


@dataclass(frozen=True)
class FileLayout:
    file_type: str  # our name, e.g. "official_records"
    file_name: str  # as the county names it, matched case-insensitively
    cadence: str  # daily | weekly | monthly
    table: str  # the staged table rows land in
    key: tuple[str, ...]
    columns: tuple[Column, ...]
    # Delivered when its publisher has one, not every partition: a partition without it is
    # not a missing file (the property roll).
    optional: bool = False

    @property
    def width(self) -> int:
        return len(self.columns)

    @property
    def kept(self) -> tuple[Column, ...]:
        return tuple(c for c in self.columns if not c.skip)


def _parse_layout(file_type: str, spec: dict) -> FileLayout:
    try:
        columns = tuple(Column(**c) for c in spec["columns"])
        layout = FileLayout(
            file_type=file_type,
            file_name=spec["file_name"],
            cadence=spec["cadence"],
            table=spec["table"],
            key=tuple(spec["key"]),
            columns=columns,
            optional=bool(spec.get("optional", False)),
        )
    except (KeyError, TypeError) as exc:
        raise LayoutError(f"layout {file_type!r}: {exc}") from exc
    names = [c.name for c in layout.kept]
    if len(set(names)) != len(names):
        raise LayoutError(f"layout {file_type!r}: duplicate column names")
    for c in columns:
        if c.type not in COLUMN_TYPES:
            raise LayoutError(
                f"layout {file_type!r}: column {c.name!r} has unknown type {c.type!r}"
            )
    missing = [k for k in layout.key if k not in names]
    if missing:
        raise LayoutError(f"layout {file_type!r}: key columns {missing} are not in the layout")
    return layout


@lru_cache(maxsize=4)
def load_layouts(path: str | None = None) -> dict[str, FileLayout]:
    path = path or get_settings().layouts_file or str(DEFAULT_LAYOUTS_FILE)
    with open(path, "rb") as fh:
        data = tomllib.load(fh)
    return {name: _parse_layout(name, spec) for name, spec in data.get("files", {}).items()}


def layouts_for(cadence: str) -> list[FileLayout]:
    return [lay for lay in load_layouts().values() if lay.cadence == cadence]


def get_layout(file_type: str) -> FileLayout:
    return load_layouts()[file_type]
