"""Where county files come from, and where they land, as a Dagster resource."""

from __future__ import annotations

from pathlib import Path

from dagster import ConfigurableResource

from pipelines.settings import get_settings
from pipelines.sources import FileSource, LocalFolderSource


class FileSourceResource(ConfigurableResource):
    """`url`: a folder path (the embedded default; empty means FOLIO_SOURCE_URL or
    data/source). Remote schemes plug in here behind the same FileSource interface."""

    url: str = ""
    landing_dir: str = ""

    def client(self) -> FileSource:
        url = self.url or get_settings().resolved_source_url
        if "://" in url and not url.startswith("file://"):
            raise ValueError(f"file source scheme of {url.split('://')[0]!r} is not supported yet; use a folder path")
        return LocalFolderSource(url.removeprefix("file://"))

    def landing_path(self) -> Path:
        return Path(self.landing_dir) if self.landing_dir else get_settings().landing_dir
