"""Provider text made safe to keep: every configured secret and every credential-looking URL
parameter is masked before an error or a response body is stored, logged or returned.

A provider's error may echo our request (the county's API prints its URL with `authKey=…`;
an HTTP library prints the URL it failed on), so anything a provider says is passed through
`redact` first.
"""

from __future__ import annotations

import json
import logging
import os
import re
from collections.abc import Iterable, Mapping
from urllib.parse import parse_qsl, quote, quote_plus, urlsplit

from pydantic import SecretStr

from pipelines.settings import ENV_NAMES, SettingsError, get_settings

MASK = "[redacted]"
# Shorter than any secret masked by value, so it can never hold one (see `redact`).
SHORT_MASK = "***"

# Environment variables that hold secrets (docs/operations.md#configuration). An admin
# webhook URL is one: a Slack incoming-webhook URL is its own credential.
SECRET_ENV = (
    "ANTHROPIC_API_KEY",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "FOLIO_ADMIN_API_KEY",
    "FOLIO_ADMIN_WEBHOOK_URL",
    "FOLIO_LINK_SECRET",
    "FOLIO_RECORDS_API_KEY",
    "FOLIO_SFTP_KEY_PASSPHRASE",
    "FOLIO_SFTP_PASSWORD",
    "FOLIO_SOURCE_AUTH_KEY",
    "FOLIO_WEBHOOK_SECRET",
    "SENDGRID_API_KEY",
    "STRIPE_API_KEY",
    "STRIPE_SECRET_KEY",
    "STRIPE_WEBHOOK_SECRET",
    "TWILIO_AUTH_TOKEN",
)
# URLs that may carry a password (`scheme://user:password@host`) or a key in their query
# string: those parts are secrets, the rest of the URL is not.
URL_ENV = (
    "DAGSTER_PG_URL",
    "FOLIO_CELERY_BROKER",
    "FOLIO_DATABASE_URL",
    "FOLIO_RECORDS_API_URL",
    "FOLIO_SOURCE_URL",
)
# A secret shorter than this is not masked by value (it would mask ordinary words); the
# parameter and header patterns below still catch it.
MIN_SECRET_LENGTH = 6

_NAMES = (
    r"auth[_-]?key|api[_-]?key|access[_-]?key|secret(?:[_-]?key)?|token|auth[_-]?token|"
    r"access[_-]?token|password|passwd|pwd|signature|sig|key"
)
# `authKey=…`, `authKey%3D…` (an echoed, encoded URL), `api_key: …`, `"token": "…"`
_PARAM = re.compile(
    rf"(?i)(?:\b|(?<=%[0-9a-f]{{2}}))((?:{_NAMES})[\"']?\s*(?:[=:]|%3D|%3A)\s*[\"']?)([^\s&\"'<>,;]+)"
)
_PARAM_NAME = re.compile(rf"(?i)^(?:{_NAMES})$")
_BEARER = re.compile(r"(?i)\b(bearer|basic)\s+[A-Za-z0-9._~+/=-]{6,}")
_URL_PASSWORD = re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://[^/\s:@]+:)[^@\s/]+@")


def is_credential_name(name: str) -> bool:
    """Whether a parameter of this name carries a credential (`authKey`, `token`, …)."""
    return bool(_PARAM_NAME.match(name))


def _url_secrets(url: str) -> list[str]:
    try:
        parts = urlsplit(url)
        found = [parts.password or ""]
    except ValueError:
        return []
    found += [v for k, v in parse_qsl(parts.query) if _PARAM_NAME.match(k)]
    return found


def configured_env() -> dict[str, str]:
    """The secret and URL variables as the product sees them: Folio's own through the
    settings (the environment, or `.env`), the rest (AWS_*, DAGSTER_PG_URL, Stripe's API
    keys: read by their libraries) from the process environment. Invalid settings fall back
    to the process environment alone: redaction must work while reporting that very error."""
    env = {name: os.environ.get(name, "") for name in (*SECRET_ENV, *URL_ENV)}
    try:
        settings = get_settings()
    except SettingsError:
        return env
    for field, name in ENV_NAMES.items():
        if name in env:
            value = getattr(settings, field)
            env[name] = value.get_secret_value() if isinstance(value, SecretStr) else str(value)
    return env


def configured_secrets(
    env: Mapping[str, str] | None = None, extra: Iterable[str | None] = ()
) -> list[str]:
    """Every secret the environment (and the caller: `extra`) holds, with the forms it takes
    when echoed inside a URL or a JSON string; longest first, so a secret that contains
    another is masked whole."""
    env = configured_env() if env is None else env
    values = {env.get(name) or "" for name in SECRET_ENV}
    for name in URL_ENV:
        values.update(_url_secrets(env.get(name) or ""))
    values.update(v for v in extra if v)
    forms = set()
    for v in values:
        if len(v) >= MIN_SECRET_LENGTH:
            forms.update({v, quote(v, safe=""), quote_plus(v), json.dumps(v)[1:-1]})
    return sorted(forms, key=len, reverse=True)


def _mask_values(text: str, secrets: list[str], mask: str) -> str:
    """Every occurrence of every secret, overlapping ones merged, replaced by one MASK."""
    spans: list[tuple[int, int]] = []
    for secret in secrets:
        at = text.find(secret)
        while at != -1:
            spans.append((at, at + len(secret)))
            at = text.find(secret, at + 1)
    if not spans:
        return text
    spans.sort()
    out, pos, start, end = [], 0, *spans[0]
    for s, e in spans[1:]:
        if s <= end:
            end = max(end, e)
            continue
        out += [text[pos:start], mask]
        pos, start, end = end, s, e
    out += [text[pos:start], mask, text[end:]]
    return "".join(out)


def redact(
    text: str | None, env: Mapping[str, str] | None = None, extra: Iterable[str | None] = ()
) -> str | None:
    """`text` with every configured secret (and each of `extra`, a secret only the caller
    knows) and every credential parameter masked; None stays None."""
    if not text:
        return text
    secrets = configured_secrets(env, extra)
    mask = SHORT_MASK if any(s in MASK for s in secrets) else MASK
    text = _mask_values(text, secrets, mask)
    text = _URL_PASSWORD.sub(lambda m: m.group(1) + mask + "@", text)
    text = _BEARER.sub(lambda m: f"{m.group(1)} {mask}", text)
    text = _PARAM.sub(lambda m: m.group(1) + mask, text)
    # Only a secret that itself contains part of the mask could reappear across one: then
    # nothing of the text is safe to keep.
    return SHORT_MASK if any(s in text for s in secrets) else text


class RedactingFilter(logging.Filter):
    """Redacts every record of the logger it is added to (a library's, which may log what a
    server said): the message with its arguments, and the traceback's text."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg, record.args = redact(record.getMessage()), None
        if record.exc_info:
            record.exc_text = redact(logging.Formatter().formatException(record.exc_info))
        return True


def redact_logs_of(*names: str) -> None:
    """Every record of these loggers redacted (a logger's filter does not reach its
    children: name each one that logs)."""
    for name in names:
        logger = logging.getLogger(name)
        if not any(isinstance(f, RedactingFilter) for f in logger.filters):
            logger.addFilter(RedactingFilter())
