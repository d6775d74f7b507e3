"""Admin alerts: to the outbox folder always, and to a Slack-style webhook when configured.

With FOLIO_ADMIN_EMAIL set, the alert also goes out as an `admin_alert` email through the
configured email sender (file outbox or SendGrid). The outbox file is written first and
always: it is the durable record even when email or the webhook is down. The webhook body is
`{"text": ...}` (Slack incoming-webhook compatible), signed with HMAC-SHA256 of the body
in `X-Folio-Signature` when FOLIO_WEBHOOK_SECRET is set. Secrets come from the
environment only and never appear in the alert.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import re
from html import escape
from pathlib import Path

import httpx

from pipelines import clock
from pipelines.settings import get_settings


def outbox_dir() -> Path:
    return (get_settings().data_dir / "outbox" / "admin_alerts").resolve()


def send_admin_alert(subject: str, body: str, key: str) -> Path:
    """Write `<outbox>/<key>.txt` (same key → same file: a replay overwrites, never doubles)
    and POST it to FOLIO_ADMIN_WEBHOOK_URL if set. Returns the outbox file."""
    folder = outbox_dir()
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / (re.sub(r"[^A-Za-z0-9._-]", "_", key) + ".txt")
    stamp = clock.now().isoformat(timespec="seconds")
    path.write_text(f"Subject: [Folio admin_alert] {subject}\nDate: {stamp}\n\n{body}\n")
    url = os.environ.get("FOLIO_ADMIN_WEBHOOK_URL")
    if url:
        payload = json.dumps({"text": f"*{subject}*\n{body}"}).encode()
        headers = {"Content-Type": "application/json"}
        secret = os.environ.get("FOLIO_WEBHOOK_SECRET")
        if secret:
            headers["X-Folio-Signature"] = hmac.new(
                secret.encode(), payload, hashlib.sha256
            ).hexdigest()
        httpx.post(url, content=payload, headers=headers, timeout=10).raise_for_status()
    admin = os.environ.get("FOLIO_ADMIN_EMAIL")
    if admin:
        from pipelines.notify.email import EmailMessage, open_email_sender

        html = "<pre>" + escape(body) + "</pre>"
        open_email_sender().send(
            EmailMessage(
                to=admin,
                subject=f"[Folio admin_alert] {subject}",
                text=body,
                html=html,
                template="admin_alert",
                idempotency_key=f"admin-{path.stem}",
                sender=get_settings().email_from,
            )
        )
    return path
