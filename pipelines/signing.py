"""Outbound signatures: one named scheme per purpose (docs/operations.md#signatures).

Two purposes sign what Folio POSTs, both in the `X-Folio-Signature` header, with different
secrets and different formats. Each has its own pair of functions here, so neither can be
mistaken for the other, and a receiver can verify with the same code:

- **subscriber webhook** (`sign_subscriber_webhook`): a tenant's webhook (paid outreach's
  webhook channel). `t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">` keyed with that
  tenant's own webhook secret. The time is inside the signed text, so a captured request
  cannot be replayed later with a fresh time; a receiver also refuses an old `t`.
- **admin alert** (`sign_admin_alert`): the operators' Slack-style admin webhook
  (FOLIO_ADMIN_WEBHOOK_URL), signed when FOLIO_WEBHOOK_SECRET is set: the bare hex
  HMAC-SHA256 of the body. No time: it is the wire format admin receivers already verify,
  kept as it is (an alert replayed is the same alert again, and carries no instruction).

Inbound signatures are the providers' own schemes and live with them: Twilio's
(`notify/twilio.py`), Stripe's (`outreach/purchases.py`); links in emails carry their own
tokens (`notify/links.py`).
"""

from __future__ import annotations

import hashlib
import hmac

HEADER = "X-Folio-Signature"


def _hex(secret: str, text: bytes) -> str:
    return hmac.new(secret.encode(), text, hashlib.sha256).hexdigest()


def sign_subscriber_webhook(secret: str, timestamp: int, body: bytes) -> str:
    """The subscriber-webhook scheme: `t=<timestamp>,v1=<hex HMAC-SHA256("<t>.<body>")>`."""
    return f"t={timestamp},v1={_hex(secret, f'{timestamp}.'.encode() + body)}"


def verify_subscriber_webhook(
    secret: str, header: str | None, body: bytes, now: float, tolerance_seconds: float = 300
) -> bool:
    """Whether `header` is our subscriber-webhook signature of `body`, made within
    `tolerance_seconds` of `now` (what a tenant's receiver checks)."""
    parts = dict(p.split("=", 1) for p in (header or "").split(",") if "=" in p)
    try:
        timestamp = int(parts.get("t", ""))
    except ValueError:
        return False
    if abs(now - timestamp) > tolerance_seconds:
        return False
    expected = sign_subscriber_webhook(secret, timestamp, body)
    return hmac.compare_digest(
        expected.encode(), f"t={timestamp},v1={parts.get('v1', '')}".encode()
    )


def sign_admin_alert(secret: str, body: bytes) -> str:
    """The admin-alert scheme: the bare hex HMAC-SHA256 of the body."""
    return _hex(secret, body)


def verify_admin_alert(secret: str, header: str | None, body: bytes) -> bool:
    """Whether `header` is our admin-alert signature of `body`."""
    return bool(header) and hmac.compare_digest(sign_admin_alert(secret, body), header or "")
