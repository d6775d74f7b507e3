"""Signed, expiring links for the people an email was sent to (no API key needed).

A token names what it opens and for whom: `{"k": kind, "i": id, "s": subscriber, "t":
tenant, "n": notification, "e": expiry (unix seconds)}`, as compact JSON in base64url,
followed by `.` and an HMAC-SHA256 of that text (base64url). Changing any byte of the token
breaks the signature; a token past its expiry is refused even with a good signature.

The key is `FOLIO_LINK_SECRET` (the settings: environment or `.env`); without one (the
embedded default) a random key is made once and kept in `<data_dir>/link_secret` (mode
0600), so links survive a restart. Changing the key invalidates every link already sent.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import secrets
from dataclasses import dataclass
from functools import cache

from pipelines import clock
from pipelines.settings import get_settings

KINDS = ("lead", "listing", "open", "unsubscribe", "report")


class BadLink(Exception):
    """A token that is malformed, tampered with or expired: the page says which, no data."""


@dataclass(frozen=True)
class Link:
    kind: str  # lead | listing (a page), open (a notification's pixel), unsubscribe, report
    item_id: int
    subscriber_id: int
    tenant_id: int
    notification_id: int | None
    expires: int


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@cache
def _key_for(data_dir: str, env_secret: str) -> bytes:
    if env_secret:
        return env_secret.encode()
    path = os.path.join(data_dir, "link_secret")
    if not os.path.exists(path):
        os.makedirs(data_dir, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(secrets.token_urlsafe(32))
    with open(path) as f:
        return f.read().strip().encode()


def _key() -> bytes:
    s = get_settings()
    return _key_for(str(s.data_dir.resolve()), s.link_secret.get_secret_value())


def _sign(body: str) -> str:
    return _b64(hmac.new(_key(), body.encode(), hashlib.sha256).digest())


def make_token(
    kind: str,
    item_id: int,
    subscriber_id: int,
    tenant_id: int,
    notification_id: int | None = None,
    now: float | None = None,
) -> str:
    if kind not in KINDS:
        raise ValueError(f"unknown link kind {kind!r}")
    expires = int((now or clock.now().timestamp()) + get_settings().link_ttl_days * 86400)
    claims = {"k": kind, "i": item_id, "s": subscriber_id, "t": tenant_id, "e": expires}
    if notification_id is not None:
        claims["n"] = notification_id
    body = _b64(json.dumps(claims, separators=(",", ":")).encode())
    return f"{body}.{_sign(body)}"


def read_token(token: str, now: float | None = None) -> Link:
    """The link a token names; BadLink (with the reason) when it is not one we signed or has
    expired."""
    body, dot, signature = token.partition(".")
    if not dot or not hmac.compare_digest(signature.encode(), _sign(body).encode()):
        raise BadLink("this link is not valid (it may have been cut or altered)")
    try:
        claims = json.loads(_unb64(body))
        link = Link(
            claims["k"],
            int(claims["i"]),
            int(claims["s"]),
            int(claims["t"]),
            claims.get("n"),
            int(claims["e"]),
        )
    except (ValueError, KeyError, TypeError) as exc:
        raise BadLink("this link is not valid") from exc
    if link.expires < (now or clock.now().timestamp()):
        raise BadLink("this link has expired; newer emails carry fresh links")
    return link


def url(path: str, token: str) -> str:
    return f"{get_settings().public_base_url.rstrip('/')}/{path}/{token}"
