"""Email senders behind one interface: a file outbox (embedded default) and SendGrid.

`send` returns the provider's message id or raises one of three errors, which is all the
delivery loop needs to decide: retry (`TransientSendError`: the provider did not take
the message), give up (`PermanentSendError`), or stop and never resend blindly
(`OutcomeUnknown`: the request left and no answer came back).
"""

from __future__ import annotations

import http.client
import logging
import urllib.error
from dataclasses import dataclass, field
from email.message import EmailMessage as MimeMessage
from email.utils import formatdate, make_msgid
from pathlib import Path

from pipelines.redaction import redact
from pipelines.settings import SettingsError, get_settings


@dataclass(frozen=True)
class EmailMessage:
    to: str
    subject: str
    text: str
    html: str
    template: str
    idempotency_key: str
    sender: str
    tenant_id: int | None = None
    custom_args: dict[str, str] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)  # e.g. List-Unsubscribe


class TransientSendError(Exception):
    """The provider did not accept the message (connection refused, 429, 5xx): safe to retry.
    `retry_after`: seconds the provider asked us to wait (a 429's Retry-After), if it said."""

    def __init__(self, message: str, retry_after: float | None = None):
        super().__init__(message)
        self.retry_after = retry_after


class PermanentSendError(Exception):
    """The provider refused the message for good (4xx): retrying cannot help."""


class OutcomeUnknown(Exception):
    """The request left and no answer came back (timeout, dropped connection): it may have
    been sent. Never resent blindly; reconciled by message id/idempotency key or by an operator."""


class FileOutbox:
    """Writes one .eml per message under `folder` (named by its idempotency key, so a retry
    overwrites rather than doubles). Open them with any mail client."""

    name = "file"

    def __init__(self, folder: Path):
        self.folder = folder

    def send(self, msg: EmailMessage) -> str:
        self.folder.mkdir(parents=True, exist_ok=True)
        mime = MimeMessage()
        mime["From"], mime["To"], mime["Subject"] = msg.sender, msg.to, msg.subject
        mime["Date"] = formatdate(localtime=False)
        mime["Message-ID"] = make_msgid(domain="folio.local")
        mime["X-Folio-Idempotency-Key"] = msg.idempotency_key
        mime["X-Folio-Template"] = msg.template
        for name, value in msg.headers.items():
            mime[name] = value
        mime.set_content(msg.text)
        mime.add_alternative(msg.html, subtype="html")
        safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in msg.idempotency_key)
        target = self.folder / f"{safe}.eml"
        tmp = target.with_suffix(".eml.part")
        tmp.write_bytes(bytes(mime))
        tmp.replace(target)  # atomic: a reader never sees half a message
        return f"file:{target.name}"


# python_http_client logs every request's headers (the Authorization header among them) at
# DEBUG: pin its level so a debug-level root logger can never write the API key anywhere.
logging.getLogger("python_http_client").setLevel(logging.WARNING)


class SendGridSender:
    """SendGrid v3 mail/send through the `sendgrid` SDK. The API key is read from
    SENDGRID_API_KEY here and goes nowhere but the Authorization header."""

    name = "sendgrid"

    def __init__(self, base_url: str, timeout: float):
        from sendgrid import SendGridAPIClient

        key = get_settings().sendgrid_api_key.get_secret_value()
        if not key:
            raise SettingsError("the SendGrid email provider needs SENDGRID_API_KEY (not set)")
        self._key = key  # only to mask it should SendGrid's answer repeat it
        self.client = SendGridAPIClient(api_key=key, host=base_url.rstrip("/"))
        self.client.client.timeout = timeout

    def send(self, msg: EmailMessage) -> str:
        from python_http_client import exceptions as http_errors
        from sendgrid.helpers.mail import Content, CustomArg, Header, Mail

        mail = Mail(from_email=msg.sender, to_emails=msg.to, subject=msg.subject)
        mail.add_content(Content("text/plain", msg.text))
        mail.add_content(Content("text/html", msg.html))
        for key, value in {"folio_idempotency_key": msg.idempotency_key, **msg.custom_args}.items():
            mail.add_custom_arg(CustomArg(key, value))
        for name, value in msg.headers.items():
            mail.add_header(Header(name, value))
        try:
            response = self.client.client.mail.send.post(request_body=mail.get())
        except http_errors.HTTPError as exc:
            status = exc.status_code
            # redacted whole, then cut: a cut through the key would escape its mask
            body = redact(_body(exc), extra=[self._key])[:300]
            detail = f"SendGrid answered {status}: {body}"
            if status == 429 or status >= 500:
                raise TransientSendError(detail, _retry_after(exc)) from None
            raise PermanentSendError(detail) from None
        except urllib.error.URLError as exc:
            # Raised while connecting or sending the request: the provider never got it.
            raise TransientSendError(
                redact(f"SendGrid unreachable: {exc.reason}", extra=[self._key])
            ) from None
        except (TimeoutError, ConnectionError, http.client.HTTPException) as exc:
            # Raised while waiting for or reading the answer (a timeout, a dropped connection,
            # a bad status line, a truncated body): the request had left.
            raise OutcomeUnknown(
                f"no answer from SendGrid after the request was sent ({type(exc).__name__})"
            ) from None
        return response.headers.get("X-Message-Id") or msg.idempotency_key


def _retry_after(exc) -> float | None:
    """A 429's Retry-After in seconds (the delta-seconds form SendGrid sends), if any."""
    value = (getattr(exc, "headers", None) or {}).get("Retry-After")
    try:
        return max(0.0, float(value)) if value is not None else None
    except (TypeError, ValueError):
        return None


def _body(exc) -> str:
    body = getattr(exc, "body", b"") or b""
    return body.decode("utf-8", "replace") if isinstance(body, bytes) else str(body)


def email_outbox_dir() -> Path:
    return (get_settings().data_dir / "outbox" / "email").resolve()


def open_email_sender(provider: str = ""):
    """The configured sender: `provider`, else FOLIO_EMAIL_PROVIDER, else SendGrid when
    SENDGRID_API_KEY is set, else the file outbox."""
    s = get_settings()
    provider = provider or s.resolved_email_provider
    if provider == "sendgrid":
        return SendGridSender(s.sendgrid_base_url, s.email_timeout_seconds)
    if provider == "file":
        return FileOutbox(email_outbox_dir())
    raise ValueError(f"email provider {provider!r}: use file or sendgrid")
