"""The webhook channel: a JSON POST to the tenant's URL (or a Slack incoming webhook),
signed so the tenant can tell it is ours.

`X-Folio-Signature` carries the subscriber-webhook scheme (`pipelines.signing`):
`t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>" with the tenant's secret>` — the
timestamp is inside the signed text, so a captured request cannot be replayed later with a
fresh time. Slack URLs get Slack's own body (`{"text": …}`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from urllib.parse import urlsplit

import httpx

from pipelines import clock
from pipelines.notify.email import OutcomeUnknown, PermanentSendError, TransientSendError
from pipelines.redaction import redact
from pipelines.signing import HEADER, sign_subscriber_webhook


@dataclass(frozen=True)
class WebhookMessage:
    url: str
    secret: str
    payload: dict
    text: str  # one line for Slack
    idempotency_key: str
    template: str
    tenant_id: int | None = None


def is_slack(url: str) -> bool:
    return urlsplit(url).hostname == "hooks.slack.com"


class WebhookSender:
    name = "webhook"

    def __init__(self, timeout: float):
        self.client = httpx.Client(timeout=timeout)

    def send(self, msg: WebhookMessage, now: float | None = None) -> str:
        payload = {"text": msg.text} if is_slack(msg.url) else msg.payload
        body = json.dumps(payload, sort_keys=True, default=str).encode()
        headers = {
            "Content-Type": "application/json",
            HEADER: sign_subscriber_webhook(msg.secret, int(now or clock.now().timestamp()), body),
            "X-Folio-Idempotency-Key": msg.idempotency_key,
        }
        # Errors name the exception's kind and the status, never httpx's text (which holds
        # the URL, a credential for a Slack hook) nor the body the tenant's server sent back
        # (it may repeat the signature or the secret).
        try:
            r = self.client.post(msg.url, content=body, headers=headers)
        except (httpx.ConnectError, httpx.ConnectTimeout) as exc:
            raise TransientSendError(
                _safe(f"webhook unreachable: {type(exc).__name__}", msg)
            ) from None
        except httpx.HTTPError as exc:
            raise OutcomeUnknown(
                _safe(
                    f"no answer from the webhook after the request was sent ({type(exc).__name__})",
                    msg,
                )
            ) from None
        if 200 <= r.status_code < 300:
            return f"http:{r.status_code}"
        detail = _safe(f"webhook answered {r.status_code}", msg)
        if r.status_code in (408, 429) or r.status_code >= 500:
            raise TransientSendError(detail)
        raise PermanentSendError(detail)


def _safe(text: str, msg: WebhookMessage) -> str:
    return redact(text, extra=[msg.secret, msg.url])
