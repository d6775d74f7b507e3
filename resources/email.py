"""The email sender as a resource: the file outbox by default (.eml files under
data/outbox/email), SendGrid when SENDGRID_API_KEY is set or FOLIO_EMAIL_PROVIDER=sendgrid."""

from __future__ import annotations

from dagster import ConfigurableResource

from pipelines.notify.email import open_email_sender


class EmailResource(ConfigurableResource):
    provider: str = ""  # empty: FOLIO_EMAIL_PROVIDER, else by which key is set

    def sender(self):
        return open_email_sender(self.provider)
