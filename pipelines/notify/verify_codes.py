"""Phone verification codes: how one is made, kept and read back for its SMS (the flow is
pipelines/outreach/verification.py).

A code is six digits from `secrets`. The database never holds it: a row keeps a random salt
and HMAC-SHA256(key, salt:phone:code). The hash is keyed because a plain salted hash of a
six-digit code falls to a million guesses; with the key outside the database, a copy of the
table gives no code away.

The SMS carrying the code is sent from the outbox by another process, a little later. Until
that SMS is rendered the row also holds the code sealed (XOR with an HMAC-SHA256 keystream of
the same key and the row's salt); rendering the SMS erases it, and so does the end of the
verification. The key is derived from the signed links' key (FOLIO_LINK_SECRET, or the one
kept in `<data_dir>/link_secret`), so there is no second secret to configure.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from pipelines.notify.links import _key as _link_key

ITEM_KIND = "verify"  # the outbox row of a code's SMS: item_id is the verification's id
DIGITS = 6
TTL_MINUTES = 10
MAX_ATTEMPTS = 5  # also a CHECK on phone_verifications.attempts


def new_code() -> str:
    return f"{secrets.randbelow(10**DIGITS):0{DIGITS}d}"


def new_salt() -> str:
    return secrets.token_hex(16)


def _key() -> bytes:
    return hmac.new(_link_key(), b"folio phone verification", hashlib.sha256).digest()


def code_hash(salt: str, phone: str, code: str) -> str:
    return hmac.new(_key(), f"{salt}:{phone}:{code}".encode(), hashlib.sha256).hexdigest()


def matches(salt: str, phone: str, code: str, stored: str) -> bool:
    """Whether `code` is the one hashed in `stored`, compared in constant time."""
    return hmac.compare_digest(code_hash(salt, phone, code), stored)


def _stream(salt: str) -> bytes:
    return hmac.new(_key(), f"seal:{salt}".encode(), hashlib.sha256).digest()[:DIGITS]


def seal(salt: str, code: str) -> str:
    return bytes(a ^ b for a, b in zip(code.encode(), _stream(salt), strict=True)).hex()


def unseal(salt: str, sealed: str) -> str:
    return bytes(a ^ b for a, b in zip(bytes.fromhex(sealed), _stream(salt), strict=True)).decode()
