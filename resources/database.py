"""The product database as a Dagster resource (SQLite by default, PostgreSQL by URL)."""

from __future__ import annotations

from dagster import ConfigurableResource
from sqlalchemy import Engine

from pipelines.db.engine import get_engine, redact
from pipelines.settings import get_settings


class FolioDatabase(ConfigurableResource):
    """`url` empty means FOLIO_DATABASE_URL, else the SQLite file under the data folder.

    The URL is resolved at run time from the settings (environment or `.env`), so a password
    in it never lands in run config or the UI."""

    url: str = ""

    @property
    def resolved_url(self) -> str:
        return self.url or get_settings().resolved_database_url

    def engine(self) -> Engine:
        return get_engine(self.resolved_url)

    def describe(self) -> str:
        return redact(self.resolved_url)
