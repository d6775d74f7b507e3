"""The email sender as a resource: the file outbox by default (.eml files under
data/outbox/email), SendGrid when SENDGRID_API_KEY is set or FOLIO_EMAIL_PROVIDER=sendgrid."""

from __future__ import annotations

import os
from pathlib import Path

from dagster import ConfigurableResource

from pipelines.notify.email import FileOutbox, SendGridSender
from pipelines.settings import get_settings


def email_outbox_dir() -> Path:
    return (get_settings().data_dir / "outbox" / "email").resolve()


class EmailResource(ConfigurableResource):
    provider: str = ""  # empty: FOLIO_EMAIL_PROVIDER, else by which key is set

    def sender(self):
        s = get_settings()
        provider = self.provider or s.email_provider or ("sendgrid" if os.environ.get("SENDGRID_API_KEY") else "file")
        if provider == "sendgrid":
            return SendGridSender(s.sendgrid_base_url, s.email_timeout_seconds)
        if provider == "file":
            return FileOutbox(email_outbox_dir())
        raise ValueError(f"email provider {provider!r}: use file or sendgrid")
