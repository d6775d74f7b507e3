"""HTTPS download source (httpx): one URL per file from a template, streamed to disk.

The Clerk's bulk "FTP" is an HTTPS API. The URL template names the file with
`{cadence}`, `{partition}` (the partition key), `{name}` (the file name), and date fields
of the partition (`{yyyy}`, `{mm}`, `{dd}`, `{mmddyyyy}`). HTTP cannot list a folder, so
`list_files` offers every file the cadence's layouts expect and `fetch` turns a 404 into
"missing". The auth key comes from FOLIO_SOURCE_AUTH_KEY and is sent as a query
parameter (`auth_param`) — it never appears in `describe()`, URIs, logs or metadata. A key
written into the URL's query instead (`…?authKey=…`) is taken out of it and sent the same
way; every message is redacted besides.
"""

from __future__ import annotations

import logging
from pathlib import Path
from urllib.parse import parse_qsl, unquote_plus, urlsplit

import httpx

from pipelines.county.partition_keys import first_day
from pipelines.county.sources.base import (
    SourceError,
    SourceFile,
    SourceFileMissing,
    TransientSourceError,
    partition_folder,
    with_retries,
)
from pipelines.db.schema.layouts import layouts_for
from pipelines.redaction import is_credential_name, redact
from pipelines.settings import get_settings

# httpx logs every request URL at INFO, query string (and so the auth key) included.
logging.getLogger("httpx").setLevel(logging.WARNING)


def _date_fields(partition_key: str) -> dict[str, str]:
    d = first_day(partition_key)
    return {
        "yyyy": f"{d.year:04d}",
        "mm": f"{d.month:02d}",
        "dd": f"{d.day:02d}",
        "mmddyyyy": d.strftime("%m%d%Y"),
    }


def split_credentials(url_template: str) -> tuple[str, dict[str, str]]:
    """The template without its credential parameters, and those parameters. The query is
    split by hand: re-encoding it would turn `{name}` placeholders into `%7Bname%7D`."""
    base, sep, query = url_template.partition("?")
    if not sep:
        return url_template, {}
    kept, credentials = [], {}
    for piece in query.split("&"):
        name, _, value = piece.partition("=")
        if is_credential_name(unquote_plus(name)):
            credentials[unquote_plus(name)] = unquote_plus(value)
        elif piece:
            kept.append(piece)
    return base + ("?" + "&".join(kept) if kept else ""), credentials


class HttpsSource:
    def __init__(
        self,
        url_template: str,
        auth_param: str = "authKey",
        timeout: float = 60.0,
        attempts: int = 3,
        retry_delay: float = 1.0,
        verify: bool | str = True,
    ):
        url_template, self._credentials = split_credentials(url_template)
        if "{name}" not in url_template:
            base, sep, query = url_template.partition("?")
            url_template = base.rstrip("/") + "/{cadence}/{partition}/{name}" + sep + query
        self.url_template = url_template
        self.auth_param, self.timeout, self.attempts, self.retry_delay = (
            auth_param,
            timeout,
            attempts,
            retry_delay,
        )
        self.verify = verify

    def describe(self) -> str:
        return f"https source {self.url_template}"

    def _url(self, cadence: str, partition_key: str, name: str) -> str:
        return self.url_template.format(
            cadence=cadence, partition=partition_key, name=name, **_date_fields(partition_key)
        )

    def list_files(self, cadence: str, partition_key: str) -> list[SourceFile]:
        rel = partition_folder(cadence, partition_key)
        return [
            SourceFile(
                lay.file_name,
                f"{rel}/{lay.file_name}",
                self._url(cadence, partition_key, lay.file_name),
            )
            for lay in layouts_for(cadence)
        ]

    def fetch(self, file: SourceFile, dest: Path) -> Path:
        # httpx replaces a URL's query with `params`: the URI's own parameters go in too.
        params = parse_qsl(urlsplit(file.uri).query, keep_blank_values=True)
        params += list(self._credentials.items())
        key = get_settings().source_auth_key.get_secret_value()
        if key:
            params.append((self.auth_param, key))
        secrets = [key, *self._credentials.values()]

        def safe(text: str) -> str:
            return redact(text, extra=secrets)

        def once() -> Path:
            try:
                with httpx.stream(
                    "GET",
                    file.uri,
                    params=params,
                    timeout=self.timeout,
                    verify=self.verify,
                    follow_redirects=True,
                ) as resp:
                    if resp.status_code == 404:
                        raise SourceFileMissing(
                            safe(f"{file.relative_path}: not found at {file.uri} (HTTP 404)")
                        )
                    if resp.status_code in (401, 403):
                        raise SourceError(
                            safe(
                                f"{file.uri}: HTTP {resp.status_code} — is FOLIO_SOURCE_AUTH_KEY "
                                "right?"
                            )
                        )
                    if resp.status_code >= 500 or resp.status_code == 429:
                        raise TransientSourceError(safe(f"{file.uri}: HTTP {resp.status_code}"))
                    if resp.status_code != 200:
                        raise SourceError(safe(f"{file.uri}: unexpected HTTP {resp.status_code}"))
                    expected = resp.headers.get("content-length")
                    got = 0
                    with open(dest, "wb") as fh:
                        for chunk in resp.iter_bytes(1 << 20):
                            fh.write(chunk)
                            got += len(chunk)
            except httpx.ConnectError as exc:
                # Refused, or the name does not resolve: no retry (in the step or the job's)
                # will change that within a run; say so at once. (The message is the OS's,
                # which never carries the URL or its key.)
                raise SourceError(
                    safe(
                        f"{file.uri}: cannot connect ({exc}); is the source URL right and the "
                        f"server up?"
                    )
                ) from None
            except httpx.TransportError as exc:  # includes a connection cut mid-body
                raise TransientSourceError(safe(f"{file.uri}: {type(exc).__name__}")) from None
            if expected is not None and got != int(expected):
                raise TransientSourceError(
                    safe(f"{file.uri}: truncated body ({got} of {expected} bytes)")
                )
            return dest

        return with_retries(once, self.attempts, self.retry_delay)
