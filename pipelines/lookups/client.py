"""The county's Official Records API: one call, its answer, and how it failed.

`GET {base}/api/OfficialRecords?<query>&authKey=<key>`; the answer carries `Status`,
`StatusDesc`, `UnitsBalance`, `UnitsConsumed` and `OfficialRecordList.OfficialRecords`,
which may be a list, a single object, or absent. The key comes from the settings only
(FOLIO_RECORDS_API_KEY) and is never logged, stored or put in an exception: messages are
built here, never from httpx's (which include the URL), and the county's own text (which
may echo our URL) is redacted of the key before anything keeps it.
"""

from __future__ import annotations

import json
import logging
import re
import time
from dataclasses import dataclass, field

import httpx

from pipelines.redaction import redact
from pipelines.settings import get_settings

# httpx logs every request URL (and so the key in its query string) at INFO.
logging.getLogger("httpx").setLevel(logging.WARNING)

KEY_ENV = "FOLIO_RECORDS_API_KEY"
OK_STATUSES = {"success", "ok"}
INT_MAX = 2**31 - 1  # the log's INTEGER columns hold no more
MAX_TEXT = 400  # of the county's text kept in a message
WHOLE = re.compile(r"-?[0-9]{1,30}")


class RecordsApiError(Exception):
    """A call that failed; `transient` says whether trying again may help."""

    def __init__(self, message: str, transient: bool, http_status: int | None = None, answer=None):
        super().__init__(message)
        self.transient, self.http_status, self.answer = transient, http_status, answer


@dataclass
class ApiAnswer:
    """`units_consumed`: the county's whole number, unchecked (whether it is believable
    depends on what was reserved; see `units.charge`); `consumed_said`: what it sent, as
    JSON, for the warning when it is not. `units_balance` is None unless a whole number
    the log can hold; `warnings` says what was ignored."""

    status: str
    status_desc: str
    units_balance: int | None
    units_consumed: int | None
    records: list[dict] = field(default_factory=list)
    http_status: int = 200
    duration_ms: int = 0
    consumed_said: str = "null"
    warnings: list[str] = field(default_factory=list)


def whole(value) -> int | None:
    """A JSON whole number, or a string of ASCII digits; None for anything else (true,
    1.5, "abc", null). A bool is not a number here, though Python's int() takes it."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and WHOLE.fullmatch(value.strip()):
        return int(value)
    return None


def said(value) -> str:
    """What the county sent, short and redacted, for a warning."""
    text = redact(json.dumps(value, default=str))  # whole, then cut: a cut key escapes its mask
    return text if len(text) <= 40 else text[:37] + "..."


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
    warnings = []
    balance = whole(body.get("UnitsBalance"))
    if "UnitsBalance" in body and (balance is None or abs(balance) > INT_MAX):
        warnings.append(
            f"UnitsBalance {said(body['UnitsBalance'])} is not a whole number the log can "
            "hold: ignored"
        )
        balance = None
    return ApiAnswer(
        status=str(body.get("Status", "")),
        status_desc=str(body.get("StatusDesc") or ""),
        units_balance=balance,
        units_consumed=whole(body.get("UnitsConsumed")),
        records=records,
        http_status=http_status,
        duration_ms=duration_ms,
        consumed_said=said(body.get("UnitsConsumed")),
        warnings=warnings,
    )


def _configured_key() -> str:
    """FOLIO_RECORDS_API_KEY, through the settings (environment or `.env`)."""
    return get_settings().records_api_key.get_secret_value()


class RecordsApiClient:
    def __init__(self, base_url: str, timeout: float = 30.0, api_key: str | None = None):
        if not base_url:
            raise ValueError(
                "no records API configured: set FOLIO_RECORDS_API_URL (and FOLIO_RECORDS_API_KEY)"
            )
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self._key = api_key if api_key is not None else _configured_key()

    def describe(self) -> str:
        return f"{self.base_url}/api/OfficialRecords"  # never the key

    def redact(self, text: str) -> str:
        """The county's text without the key (whether it came from the settings or not),
        any other configured secret or any credential parameter; cut to MAX_TEXT."""
        text = redact(text, extra=[self._key])
        return text if len(text) <= MAX_TEXT else text[: MAX_TEXT - 3] + "..."

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
        answer.status, answer.status_desc = (
            self.redact(answer.status),
            self.redact(answer.status_desc),
        )
        if answer.status.strip().lower() not in OK_STATUSES:
            raise RecordsApiError(
                self.redact(
                    f"the county refused the lookup: {answer.status} {answer.status_desc}"
                ).strip(),
                False,
                resp.status_code,
                answer,
            )
        return answer
