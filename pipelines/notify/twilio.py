"""Twilio's REST API over httpx: send an SMS, place a call, look a message or call up, and
check the signature on Twilio's callbacks.

Credentials come from TWILIO_ACCOUNT_SID / TWILIO_AUTH_TOKEN (the settings: environment or
`.env`, never config) and go nowhere but the HTTP basic-auth header and the HMAC key;
FOLIO_TWILIO_BASE_URL points the client at a local fake in tests. Errors map onto the
outbox's three (see notify/email.py): a 429 or 5xx, or a connection that never opened, is
transient; another 4xx is permanent; a timeout or broken answer after the request left is
`OutcomeUnknown`.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from dataclasses import dataclass

import httpx

from pipelines.notify.email import OutcomeUnknown, PermanentSendError, TransientSendError
from pipelines.redaction import redact
from pipelines.settings import SettingsError, get_settings

API = "2010-04-01"
# Twilio's "this number has replied STOP" refusal: the number goes on our opt-out list too.
UNSUBSCRIBED_RECIPIENT = 21610


@dataclass(frozen=True)
class PhoneMessage:
    """One SMS or call as the delivery loop hands it to a sender."""

    channel: str  # sms | voice
    to: str
    body: str  # the SMS text, or what the call says
    idempotency_key: str
    template: str
    tenant_id: int | None = None
    status_callback: str | None = None


class RecipientUnsubscribed(PermanentSendError):
    pass


def credentials() -> tuple[str, str]:
    s = get_settings()
    sid, token = s.twilio_account_sid, s.twilio_auth_token.get_secret_value()
    if not sid or not token:
        missing = [
            n for n, v in (("TWILIO_ACCOUNT_SID", sid), ("TWILIO_AUTH_TOKEN", token)) if not v
        ]
        raise SettingsError(f"the Twilio provider needs {' and '.join(missing)} (not set)")
    return sid, token


def twiml_say(text: str) -> str:
    from xml.sax.saxutils import escape

    return f'<Response><Say voice="alice">{escape(text)}</Say></Response>'


class TwilioSender:
    name = "twilio"

    def __init__(self, base_url: str, from_number: str, timeout: float, max_call_seconds: int):
        if not from_number:
            raise SettingsError(
                "the Twilio provider needs FOLIO_TWILIO_FROM (our number, E.164; not set)"
            )
        self.sid, token = credentials()
        self.from_number = from_number
        self.max_call_seconds = max_call_seconds
        self.client = httpx.Client(
            base_url=f"{base_url.rstrip('/')}/{API}/Accounts/{self.sid}",
            auth=(self.sid, token),
            timeout=timeout,
        )

    def send(self, msg: PhoneMessage) -> str:
        form = {"To": msg.to, "From": self.from_number}
        if msg.status_callback:
            form["StatusCallback"] = msg.status_callback
        if msg.channel == "sms":
            path, form["Body"] = "/Messages.json", msg.body
        else:
            path = "/Calls.json"
            form["Twiml"] = twiml_say(msg.body)
            form["TimeLimit"] = str(self.max_call_seconds)
        body = self._post(path, form)
        return body["sid"]

    def _post(self, path: str, form: dict) -> dict:
        try:
            r = self.client.post(path, data=form)
        except (httpx.ConnectError, httpx.ConnectTimeout) as exc:
            raise TransientSendError(f"Twilio unreachable: {type(exc).__name__}") from None
        except httpx.HTTPError as exc:  # the request left: read timeout, broken answer
            raise OutcomeUnknown(
                f"no answer from Twilio after the request was sent ({type(exc).__name__})"
            ) from None
        return _answer(r)

    def lookup(self, channel: str, sid: str | None, to: str, since_iso: str) -> dict | None:
        """The provider's record of a message or call: by sid, or (when the answer never
        came back) the newest one to `to` from our number since `since_iso`."""
        kind = "Messages" if channel == "sms" else "Calls"
        try:
            if sid:
                r = self.client.get(f"/{kind}/{sid}.json")
                return None if r.status_code == 404 else _answer(r)
            since = {"DateSent>": since_iso} if channel == "sms" else {"StartTime>": since_iso}
            r = self.client.get(
                f"/{kind}.json", params={"To": to, "From": self.from_number, **since}
            )
            items = _answer(r).get("messages" if channel == "sms" else "calls") or []
            return items[0] if items else None
        except httpx.HTTPError as exc:
            raise TransientSendError(f"Twilio lookup failed: {type(exc).__name__}") from None


def _answer(r: httpx.Response) -> dict:
    try:
        body = r.json()
    except ValueError:
        body = {}
    if r.status_code in (200, 201):
        if not isinstance(body, dict) or (
            "sid" not in body and "messages" not in body and "calls" not in body
        ):
            raise OutcomeUnknown(f"Twilio answered {r.status_code} without a sid")
        return body
    said = body.get("message") if isinstance(body, dict) else None
    # Twilio's text may repeat what it was sent (our account, a credential): masked first.
    detail = redact(f"Twilio answered {r.status_code}: {said or r.text[:200]}")
    if r.status_code == 429 or r.status_code >= 500:
        retry_after = r.headers.get("Retry-After")
        raise TransientSendError(
            detail, float(retry_after) if (retry_after or "").isdigit() else None
        )
    if isinstance(body, dict) and body.get("code") == UNSUBSCRIBED_RECIPIENT:
        raise RecipientUnsubscribed(detail)
    raise PermanentSendError(detail)


def signature(auth_token: str, url: str, params: dict[str, str]) -> str:
    """Twilio's X-Twilio-Signature: base64 HMAC-SHA1 over the full URL followed by each POST
    parameter's name and value, sorted by name."""
    data = url + "".join(k + params[k] for k in sorted(params))
    digest = hmac.new(auth_token.encode(), data.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


def valid_signature(auth_token: str, url: str, params: dict[str, str], given: str | None) -> bool:
    return bool(given) and hmac.compare_digest(signature(auth_token, url, params), given)
