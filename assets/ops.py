"""Ops for side-effect jobs (not data assets): retention cleanup."""

from datetime import datetime
from zoneinfo import ZoneInfo

from dagster import MetadataValue, OpExecutionContext, Output, job, op

from pipelines.cleanup import cleanup
from pipelines.settings import get_settings
from resources.database import FolioDatabase
from resources.file_source import ArchiveResource


@op(description="Delete rows past retention in bounded batches; email logs archived as Parquet first.")
def cleanup_old_rows(context: OpExecutionContext, database: FolioDatabase, archive: ArchiveResource):
    s = get_settings()
    today = datetime.now(ZoneInfo(s.timezone)).date()
    counts = cleanup(database.engine(), archive.store(), today, s.retention_days, s.cleanup_batch_rows)
    context.log.info(f"cleanup: deleted {counts.deleted}, archived {len(counts.archived_files)} file(s)")
    return Output(None, metadata={
        "deleted": MetadataValue.json(counts.deleted),
        "batches": counts.batches,
        "archived_files": MetadataValue.json(counts.archived_files),
    })


def build_cleanup_job(tags: dict[str, str]):
    @job(name="cleanup", tags=tags, description="90-day retention (03:00, LOW priority).")
    def cleanup_job():
        cleanup_old_rows()

    return cleanup_job
