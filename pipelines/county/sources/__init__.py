"""File sources: where the county's bulk files come from (Dagster-free).

A source is a folder tree with one folder per cadence and partition:
`daily/YYYY-MM-DD/`, `weekly/YYYY-MM-DD/` (the Monday), `monthly/YYYY-MM/`.
Implementations: local folder (embedded default), SFTP (paramiko), HTTPS (httpx).
`open_source(url)` picks one from a URL or path.
"""

from pipelines.county.sources.base import (
    FileSource,
    SourceError,
    SourceFile,
    SourceFileMissing,
    TransientSourceError,
    find,
    partition_folder,
)
from pipelines.county.sources.local import LocalFolderSource
from pipelines.county.sources.open import open_source

__all__ = [
    "FileSource",
    "LocalFolderSource",
    "SourceError",
    "SourceFile",
    "SourceFileMissing",
    "TransientSourceError",
    "find",
    "open_source",
    "partition_folder",
]
