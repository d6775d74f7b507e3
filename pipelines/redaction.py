"""Provider text made safe to keep: every configured secret and every credential-looking URL
parameter is masked before an error or a response body is stored, logged or returned.

A provider's error may echo our request (the county's API prints its URL with `authKey=…`;
an HTTP library prints the URL it failed on), so anything a provider says is passed through
`redact` first.
"""

from __future__ import annotations

import os
import re

MASK = "[redacted]"

# Environment variables that hold secrets (docs/operations.md#configuration).
SECRET_ENV = (
    "ANTHROPIC_API_KEY",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "FOLIO_ADMIN_API_KEY",
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
# A secret shorter than this is not masked by value (it would mask ordinary words); the
# parameter and header patterns below still catch it.
MIN_SECRET_LENGTH = 6

# `authKey=…`, `api_key: …`, `"token": "…"`, `Authorization: Bearer …`, `user:pass@host`
_PARAM = re.compile(
    r"(?i)\b((?:auth[_-]?key|api[_-]?key|access[_-]?key|secret(?:[_-]?key)?|token|"
    r"auth[_-]?token|access[_-]?token|password|passwd|pwd|signature|sig|key)"
    r"[\"']?\s*[=:]\s*[\"']?)([^\s&\"'<>,;]+)"
)
_BEARER = re.compile(r"(?i)\b(bearer|basic)\s+[A-Za-z0-9._~+/=-]{6,}")
_URL_PASSWORD = re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://[^/\s:@]+:)[^@\s/]+@")


def configured_secrets(env: dict[str, str] | None = None) -> list[str]:
    env = os.environ if env is None else env
    values = {env.get(name, "") for name in SECRET_ENV}
    # longest first, so a secret that contains another is masked whole
    return sorted((v for v in values if len(v) >= MIN_SECRET_LENGTH), key=len, reverse=True)


def redact(text: str | None, env: dict[str, str] | None = None) -> str | None:
    """`text` with every configured secret and credential parameter masked (None stays)."""
    if not text:
        return text
    for secret in configured_secrets(env):
        text = text.replace(secret, MASK)
    text = _URL_PASSWORD.sub(lambda m: m.group(1) + MASK + "@", text)
    text = _BEARER.sub(lambda m: f"{m.group(1)} {MASK}", text)
    return _PARAM.sub(lambda m: m.group(1) + MASK, text)
