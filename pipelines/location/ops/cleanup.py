"""Retention cleanup: an op (it deletes and archives; nothing here is a data asset)."""

from dagster import MetadataValue, OpExecutionContext, Output, op

from pipelines import clock
from pipelines.settings import get_settings
from pipelines.upkeep.cleanup import cleanup
from resources.database import FolioDatabase
from resources.file_source import ArchiveResource


@op(
    description="Delete rows past retention in bounded batches; delivery attempts archived as "
    "Parquet first."
)
def cleanup_old_rows(
    context: OpExecutionContext, database: FolioDatabase, archive: ArchiveResource
):
    s = get_settings()
    today = clock.today()
    counts = cleanup(
        database.engine(), archive.store(), today, s.retention_days, s.cleanup_batch_rows
    )
    context.log.info(
        f"cleanup: deleted {counts.deleted}, archived {len(counts.archived_files)} file(s)"
    )
    return Output(
        None,
        metadata={
            "deleted": MetadataValue.json(counts.deleted),
            "batches": counts.batches,
            "archived_files": MetadataValue.json(counts.archived_files),
        },
    )
