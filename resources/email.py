"""The email sender as a resource: the file outbox by default (.eml files under
data/outbox/email), SendGrid when FOLIO_EMAIL_PROVIDER=sendgrid (or, with the provider left
empty, when SENDGRID_API_KEY is set)."""

from __future__ import annotations

from typing import Literal

from dagster import ConfigurableResource

from pipelines.notify.email import open_email_sender


class EmailResource(ConfigurableResource):
    # empty: FOLIO_EMAIL_PROVIDER (docs/decisions.md, "Providers are chosen by name")
    provider: Literal["", "file", "sendgrid"] = ""

    def sender(self):
        return open_email_sender(self.provider)
