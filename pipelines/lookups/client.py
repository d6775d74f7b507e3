"""The county's Official Records API: one call, its answer, and how it failed.

`GET {base}/api/OfficialRecords?<query>&authKey=<key>`; the answer carries `Status`,
`StatusDesc`, `UnitsBalance`, `UnitsConsumed` and `OfficialRecordList.OfficialRecords`,
which may be a list, a single object, or absent. The key comes from the environment only
and is never logged, stored or put in an exception: messages are built here, never from
httpx's (which include the URL).
"""

from __future__ import annotations

import logging
import os
import time
from dataclasses import dataclass, field

import httpx

# httpx logs every request URL (and so the key in its query string) at INFO.
logging.getLogger("httpx").setLevel(logging.WARNING)

KEY_ENV = "FOLIO_RECORDS_API_KEY"
OK_STATUSES = {"success", "ok"}


class RecordsApiError(Exception):
    """A call that failed; `transient` says whether trying again may help."""

    def __init__(self, message: str, transient: bool, http_status: int | None = None, answer=None):
        super().__init__(message)
        self.transient, self.http_status, self.answer = transient, http_status, answer


@dataclass
class ApiAnswer:
    status: str
    status_desc: str
    units_balance: int | None
    units_consumed: int | None
    records: list[dict] = field(default_factory=list)
    http_status: int = 200
    duration_ms: int = 0


def _int(value) -> int | None:
    try:
        return None if value in (None, "") else int(value)
    except (TypeError, ValueError):
        return None


def parse_answer(body: object, http_status: int = 200, duration_ms: int = 0) -> ApiAnswer:
    """The JSON body as an ApiAnswer; `OfficialRecords` as a list whatever shape it came in."""
    if not isinstance(body, dict):
        raise RecordsApiError("the records API answered something that is not a JSON object", False)
    listing = body.get("OfficialRecordList") or {}
    records = listing.get("OfficialRecords") if isinstance(listing, dict) else None
    if records is None:
        records = []
    elif isinstance(records, dict):
        records = [records]
    elif not isinstance(records, list) or not all(isinstance(r, dict) for r in records):
        raise RecordsApiError("OfficialRecords is neither a record nor a list of records", False)
    return ApiAnswer(
        status=str(body.get("Status", "")),
        status_desc=str(body.get("StatusDesc") or ""),
        units_balance=_int(body.get("UnitsBalance")),
        units_consumed=_int(body.get("UnitsConsumed")),
        records=records,
        http_status=http_status,
        duration_ms=duration_ms,
    )


class RecordsApiClient:
    def __init__(self, base_url: str, timeout: float = 30.0, api_key: str | None = None):
        if not base_url:
            raise ValueError(
                "no records API configured: set FOLIO_RECORDS_API_URL (and FOLIO_RECORDS_API_KEY)"
            )
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self._key = api_key if api_key is not None else os.environ.get(KEY_ENV, "")

    def describe(self) -> str:
        return f"{self.base_url}/api/OfficialRecords"  # never the key

    def call(self, query: dict[str, str]) -> ApiAnswer:
        """One GET. Raises RecordsApiError: transient for timeouts, connection errors, 429 and
        5xx; permanent for other HTTP errors, bodies that are not the API's, and an error
        `Status` (with the county's own text)."""
        params = {**query, "authKey": self._key}
        t0 = time.perf_counter()
        try:
            resp = httpx.get(self.describe(), params=params, timeout=self.timeout)
        except httpx.TimeoutException:
            raise RecordsApiError(f"no answer within {self.timeout:g} s", True) from None
        except httpx.TransportError as exc:
            raise RecordsApiError(
                f"cannot reach the records API ({type(exc).__name__})", True
            ) from None
        ms = int((time.perf_counter() - t0) * 1000)
        if resp.status_code == 429 or resp.status_code >= 500:
            raise RecordsApiError(f"HTTP {resp.status_code}", True, resp.status_code)
        if resp.status_code >= 400:
            raise RecordsApiError(f"HTTP {resp.status_code}: refused", False, resp.status_code)
        try:
            body = resp.json()
        except ValueError:
            raise RecordsApiError(
                "the records API answered something that is not JSON", False, resp.status_code
            ) from None
        answer = parse_answer(body, resp.status_code, ms)
        if answer.status.strip().lower() not in OK_STATUSES:
            raise RecordsApiError(
                f"the county refused the lookup: {answer.status} {answer.status_desc}".strip(),
                False,
                resp.status_code,
                answer,
            )
        return answer
