"""Side-effect jobs (ops, not assets): email delivery from the outbox, and listing intake
from an inbox file. Re-running either never sends or stores anything twice."""

from dagster import Config, Failure, MetadataValue, OpExecutionContext, Output, job, op

from pipelines.listings.inbox import InboxFile, process_inbox_file
from pipelines.listings.readers import FileFormatError
from pipelines.notify.outbox import deliver_email
from pipelines.tenants import SetupError, get_tenant
from resources.database import FolioDatabase
from resources.email import EmailResource


class DeliveryConfig(Config):
    up_to_id: int = 0  # 0: every queued email


@op(description="Send every queued email up to the batch's last id: claim (queued→sending), send with the "
                "email retry budget, end sent | failed | unknown; every attempt in email_logs.")
def send_queued_email(context: OpExecutionContext, config: DeliveryConfig, database: FolioDatabase,
                      email: EmailResource):
    counts = deliver_email(database.engine(), email.sender(), config.up_to_id or None)
    context.log.info(f"email delivery: {counts.as_dict()}")
    return Output(None, metadata={k: MetadataValue.int(v) for k, v in counts.as_dict().items()})


class InboxFileConfig(Config):
    tenant: str
    path: str
    sha256: str


@op(description="Validate and store one inbox file's listings; refused records go to listing_quarantine "
                "with line and reason; the file moves to processed/ (or failed/ if unreadable).")
def take_in_inbox_file(context: OpExecutionContext, config: InboxFileConfig, database: FolioDatabase):
    from pathlib import Path

    engine = database.engine()
    try:
        tenant = get_tenant(engine, config.tenant)
        result = process_inbox_file(engine, tenant, InboxFile(config.tenant, Path(config.path), config.sha256))
    except (SetupError, FileFormatError) as exc:
        raise Failure(description=str(exc), allow_retries=False) from None
    context.log.info(f"{Path(config.path).name}: {result.summary()}")
    return Output(None, metadata={"created": result.created, "updated": result.updated,
                                  "unchanged": result.unchanged, "quarantined": result.quarantined,
                                  "first_rejects": MetadataValue.json(result.rejects[:10])})


def build_delivery_jobs(email_tags: dict[str, str], intake_tags: dict[str, str]):
    @job(name="deliver_email", tags=email_tags, description="Email delivery from the outbox.")
    def deliver_email_job():
        send_queued_email()

    @job(name="listing_intake", tags=intake_tags, description="One inbox file's listings in.")
    def listing_intake_job():
        take_in_inbox_file()

    return deliver_email_job, listing_intake_job
