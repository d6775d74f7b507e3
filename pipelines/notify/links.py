"""Signed, expiring links for the people an email was sent to (no API key needed).

A token names what it opens and for whom. It is made with itsdangerous: a `URLSafeSerializer`
over the compact JSON `[id, subscriber, tenant, expiry (unix seconds), notification]`, signed
with HMAC-SHA256 and one salt per purpose (the link's kind: lead, listing, open,
unsubscribe, report), so a token made for one purpose has no valid signature for another.
Its shape is `payload.signature` (base64url, the payload beginning `Wz`, a JSON list). The
expiry is fixed when the link is made (`link_ttl_days` later), as before. Changing any
character of the token breaks the signature; a token past its expiry is refused even with
a good signature.

Links made before itsdangerous (`body.signature`, the body a base64url JSON object
beginning `eyJrIjoi`, `{"k":"`, with the kind and an expiry `e`, signed with a hand-made
HMAC-SHA256) are still read, told apart by that shape, until their own expiry; none is made
any more (docs/decisions.md, "Links are signed with itsdangerous").

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
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache

from itsdangerous import BadData, Serializer, URLSafeSerializer
from itsdangerous.encoding import base64_decode, base64_encode

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


class _Serializer(URLSafeSerializer):
    def dump_payload(self, obj) -> bytes:
        """Never zlib-compressed (which would begin the token with a dot): one shape."""
        return base64_encode(Serializer.dump_payload(self, obj))


def _serializer(kind: str) -> URLSafeSerializer:
    return _Serializer(
        _key(),
        salt=f"folio.link.{kind}",  # one per purpose
        signer_kwargs={"digest_method": hashlib.sha256},
    )


def make_token(
    kind: str,
    item_id: int,
    subscriber_id: int,
    tenant_id: int,
    notification_id: int | None = None,
    now: float | None = None,
) -> str:
    """A link's token for the purpose `kind`, expiring `link_ttl_days` after `now` (by
    default the clock's now)."""
    if kind not in KINDS:
        raise ValueError(f"unknown link kind {kind!r}")
    expires = int((now or clock.now().timestamp()) + get_settings().link_ttl_days * 86400)
    claims = [item_id, subscriber_id, tenant_id, expires]
    if notification_id is not None:
        claims.append(notification_id)
    return _serializer(kind).dumps(claims)


NOT_VALID = "this link is not valid (it may have been cut or altered)"
EXPIRED = "this link has expired; newer emails carry fresh links"
# How a link made before itsdangerous begins: base64url of `{"k":"` (new ones: of `[`).
OLD_SHAPE = "eyJrIjoi"


def read_token(token: str, now: float | None = None, kinds: Iterable[str] | None = None) -> Link:
    """The link a token names; BadLink (with the reason) when it is not one we signed, has
    expired, or (with `kinds`) was made for another purpose. A token made before itsdangerous
    is read by the old rule until its own expiry."""
    wanted = tuple(kinds) if kinds is not None else KINDS
    if token.startswith(OLD_SHAPE):
        return _read_old(token, now, wanted)
    return _read(token, now, wanted)


def _read(token: str, now: float | None, kinds: tuple[str, ...]) -> Link:
    signature = token.rpartition(".")[2]
    try:  # a signature with stray bits in its last character decodes the same: refused
        canonical = base64_encode(base64_decode(signature)).decode() == signature
    except BadData:
        canonical = False
    if not canonical:
        raise BadLink(NOT_VALID)
    for kind in kinds:
        try:
            claims = _serializer(kind).loads(token)
        except BadData:
            continue  # not this purpose's signature (or not ours at all)
        try:
            item, subscriber, tenant, expires, *rest = (int(c) for c in claims)
            if len(rest) > 1:
                raise ValueError("too many claims")
        except (ValueError, TypeError) as exc:
            raise BadLink("this link is not valid") from exc
        if expires < (now or clock.now().timestamp()):
            raise BadLink(EXPIRED)
        return Link(kind, item, subscriber, tenant, rest[0] if rest else None, expires)
    raise BadLink(NOT_VALID)


def _legacy_sign(body: str) -> str:
    return _b64(hmac.new(_key(), body.encode(), hashlib.sha256).digest())


def _read_old(token: str, now: float | None, kinds: tuple[str, ...]) -> Link:
    """A link made before itsdangerous: `body.signature`, kept readable until its expiry."""
    body, _, signature = token.partition(".")
    if not hmac.compare_digest(signature.encode(), _legacy_sign(body).encode()):
        raise BadLink(NOT_VALID)
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
        raise BadLink(EXPIRED)
    if link.kind not in kinds:
        raise BadLink(NOT_VALID)
    return link


def url(path: str, token: str) -> str:
    return f"{get_settings().public_base_url.rstrip('/')}/{path}/{token}"
