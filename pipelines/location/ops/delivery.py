"""Email delivery from the outbox: an op, not an asset (sending is a side effect, and
re-materialising data must never resend anything)."""

from dagster import Config, MetadataValue, OpExecutionContext, Output, op

from pipelines.notify.delivery import deliver_email
from pipelines.upkeep.delivery_alerts import alert_undelivered
from resources.database import FolioDatabase
from resources.email import EmailResource


class DeliveryConfig(Config):
    up_to_id: int = 0  # 0: every queued email


@op(
    description="Send every queued email up to the batch's last id: claim (queued→sending), send "
    "with the email retry budget, end sent | failed | unknown; every attempt in delivery_attempts; "
    "one admin alert for what could not be delivered."
)
def send_queued_email(
    context: OpExecutionContext,
    config: DeliveryConfig,
    database: FolioDatabase,
    email: EmailResource,
):
    counts = deliver_email(database.engine(), email.sender(), config.up_to_id or None)
    context.log.info(f"email delivery: {counts.as_dict()}")
    alert_undelivered("email", counts.problems)
    return Output(None, metadata={k: MetadataValue.int(v) for k, v in counts.as_dict().items()})
