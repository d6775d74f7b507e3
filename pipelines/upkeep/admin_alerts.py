"""Admin alerts: to the outbox folder always, and to a Slack-style webhook when configured.

With FOLIO_ADMIN_EMAIL set, the alert also goes out as an `admin_alert` email through the
configured email sender (file outbox or SendGrid). The outbox file is written first and
always: it is the durable record even when email or the webhook is down. The webhook body is
`{"text": ...}` (Slack incoming-webhook compatible), signed in `X-Folio-Signature` by the
admin-alert scheme (`pipelines.signing.sign_admin_alert`: the hex HMAC-SHA256 of the body)
when FOLIO_WEBHOOK_SECRET is set. Secrets come from the settings only and never appear in
the alert: its subject and body (which may quote a provider's error) are redacted before
they are written or sent, and a webhook failure names neither the webhook's URL (a Slack
hook's URL is its credential) nor what it answered.
"""

from __future__ import annotations

import json
import re
from html import escape
from pathlib import Path

import httpx

from pipelines import clock
from pipelines.redaction import redact
from pipelines.settings import get_settings
from pipelines.signing import HEADER, sign_admin_alert


class AdminAlertNotSent(Exception):
    """The webhook refused or missed the alert (the outbox file and email still went)."""


def outbox_dir() -> Path:
    return (get_settings().data_dir / "outbox" / "admin_alerts").resolve()


def send_admin_alert(subject: str, body: str, key: str) -> Path:
    """Write `<outbox>/<key>.txt` (same key → same file: a replay overwrites, never doubles),
    POST it to FOLIO_ADMIN_WEBHOOK_URL and email it to FOLIO_ADMIN_EMAIL if set. Returns the
    outbox file; raises AdminAlertNotSent after the email when the webhook failed."""
    subject, body = redact(subject), redact(body)
    folder = outbox_dir()
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / (re.sub(r"[^A-Za-z0-9._-]", "_", key) + ".txt")
    stamp = clock.now().isoformat(timespec="seconds")
    path.write_text(f"Subject: [Folio admin_alert] {subject}\nDate: {stamp}\n\n{body}\n")
    settings = get_settings()
    url = settings.admin_webhook_url.get_secret_value()
    secret = settings.webhook_secret.get_secret_value()
    failed = _post(url, secret, subject, body) if url else None
    admin = settings.admin_email
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
                sender=settings.email_from,
            )
        )
    if failed:
        raise AdminAlertNotSent(failed)
    return path


def _post(url: str, secret: str, subject: str, body: str) -> str | None:
    """POST the alert; None when the webhook took it, else why not (its status or the
    error's kind: httpx's own text holds the URL)."""
    payload = json.dumps({"text": f"*{subject}*\n{body}"}).encode()
    headers = {"Content-Type": "application/json"}
    if secret:
        headers[HEADER] = sign_admin_alert(secret, payload)
    try:
        status = httpx.post(url, content=payload, headers=headers, timeout=10).status_code
    except httpx.HTTPError as exc:
        return f"admin alert webhook unreachable: {type(exc).__name__}"
    return None if 200 <= status < 300 else f"admin alert webhook answered {status}"
