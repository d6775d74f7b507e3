"""Where county files come from, and where they land, as a Dagster resource."""

from __future__ import annotations

from pathlib import Path

from dagster import ConfigurableResource

from pipelines.county.sources import FileSource, open_source
from pipelines.settings import get_settings
from pipelines.stores.archive import ArchiveStore, open_archive


class FileSourceResource(ConfigurableResource):
    """`url`: a folder path (the embedded default; empty means FOLIO_SOURCE_URL or
    data/source), `sftp://user@host:port/root` or an https URL template. Credentials are
    read from the settings by the source itself, never from this config."""

    url: str = ""
    landing_dir: str = ""

    def client(self) -> FileSource:
        return open_source(self.url or get_settings().resolved_source_url)

    def landing_path(self) -> Path:
        return Path(self.landing_dir) if self.landing_dir else get_settings().landing_dir


class ArchiveResource(ConfigurableResource):
    """Where every landed file is kept: a folder (default data/archive) or `s3://bucket/prefix`
    (endpoint FOLIO_S3_ENDPOINT_URL, credentials from the AWS_* environment variables)."""

    url: str = ""

    def store(self) -> ArchiveStore:
        return open_archive(self.url or get_settings().resolved_archive_url)
