"""SMS/voice and webhook senders as a resource: Twilio when FOLIO_OUTREACH_PROVIDER=twilio
(or, with the provider left empty, when TWILIO_ACCOUNT_SID is set), else JSON files under
data/outbox/<channel>/; webhooks always go to the tenant's own URL."""

from __future__ import annotations

from dagster import ConfigurableResource

from pipelines.notify.phone_senders import open_phone_sender
from pipelines.notify.webhooks import WebhookSender
from pipelines.settings import get_settings


class OutreachResource(ConfigurableResource):
    def phone_sender(self):
        return open_phone_sender()

    def webhook_sender(self):
        return WebhookSender(get_settings().webhook_timeout_seconds)
