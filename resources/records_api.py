"""The county's records API as a resource. The base URL comes from FOLIO_RECORDS_API_URL (or
`base_url`); the key only from FOLIO_RECORDS_API_KEY, read by the client, never from config."""

from __future__ import annotations

from dagster import ConfigurableResource

from pipelines.lookups.client import RecordsApiClient
from pipelines.settings import get_settings


class RecordsApiResource(ConfigurableResource):
    base_url: str = ""

    def client(self) -> RecordsApiClient:
        s = get_settings()
        return RecordsApiClient(self.base_url or s.records_api_url, s.records_api_timeout_seconds)
