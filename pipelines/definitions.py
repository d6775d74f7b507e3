"""The code location: everything Dagster loads, and nothing else."""

from dagster import Definitions

from assets.ingestion import daily_ingestion_assets
from assets.leads import leads
from assets.properties import properties
from pipelines.jobs import daily_ingestion_job
from pipelines.schedules import daily_ingestion_schedule
from resources.database import FolioDatabase
from resources.file_source import ArchiveResource, FileSourceResource

defs = Definitions(
    assets=[*daily_ingestion_assets, properties, leads],
    jobs=[daily_ingestion_job],
    schedules=[daily_ingestion_schedule],
    resources={"database": FolioDatabase(), "file_source": FileSourceResource(), "archive": ArchiveResource()},
)
