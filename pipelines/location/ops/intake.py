"""Listing intake from one inbox file: an op (it moves the file and stores listings)."""

from pathlib import Path

from dagster import Config, Failure, MetadataValue, OpExecutionContext, Output, op

from pipelines.accounts.tenants import SetupError, get_tenant
from pipelines.listings.inbox import InboxFile, process_inbox_file
from pipelines.listings.readers import FileFormatError
from resources.database import FolioDatabase


class InboxFileConfig(Config):
    tenant: str
    path: str
    sha256: str


@op(
    description="Validate and store one inbox file's listings; refused records go to "
    "listing_quarantine "
    "with line and reason; the file moves to processed/ (or failed/ if unreadable)."
)
def take_in_inbox_file(
    context: OpExecutionContext, config: InboxFileConfig, database: FolioDatabase
):
    engine = database.engine()
    try:
        tenant = get_tenant(engine, config.tenant)
        result = process_inbox_file(
            engine, tenant, InboxFile(config.tenant, Path(config.path), config.sha256)
        )
    except (SetupError, FileFormatError) as exc:
        raise Failure(description=str(exc), allow_retries=False) from None
    context.log.info(f"{Path(config.path).name}: {result.summary()}")
    return Output(
        None,
        metadata={
            "created": result.created,
            "updated": result.updated,
            "unchanged": result.unchanged,
            "quarantined": result.quarantined,
            "first_rejects": MetadataValue.json(result.rejects[:10]),
        },
    )
