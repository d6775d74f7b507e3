"""The code location: everything Dagster loads, and nothing else."""

from dagster import Definitions

from assets.county_leads import eviction_and_lien_leads, probate_and_judgment_leads
from assets.digests import daily_digest, weekly_report
from assets.ingestion import build_ingestion_assets
from assets.leads import leads
from assets.listings import alert_matches, listing_scores, notifications
from assets.properties import properties
from assets.reports import daily_market_report, weekly_subscriber_report
from assets.scoring import lead_scores
from pipelines.location.executors import default_executor
from pipelines.location.jobs import ALL_JOBS
from pipelines.location.schedules import ALL_SCHEDULES
from resources.database import FolioDatabase
from resources.email import EmailResource
from resources.file_source import ArchiveResource, FileSourceResource
from resources.outreach import OutreachResource
from resources.records_api import RecordsApiResource
from resources.scoring import ListingScorerResource
from sensors.due_jobs import build_due_jobs_sensor
from sensors.email_delivery import email_outbox_sensor
from sensors.inbox import inbox_sensor
from sensors.listings import lead_alerts_sensor, new_listings_sensor
from sensors.lookups import lookup_requests_sensor
from sensors.orphaned_runs import orphaned_runs_sensor
from sensors.outreach_delivery import outreach_outbox_sensor
from sensors.queue_metrics import queue_metrics_sensor
from sensors.reports import report_requests_sensor
from sensors.run_failures import dead_letter_resolution_sensor, dead_letter_sensor

defs = Definitions(
    assets=[
        *build_ingestion_assets("daily"),
        properties,
        leads,
        *build_ingestion_assets("weekly"),
        eviction_and_lien_leads,
        *build_ingestion_assets("monthly"),
        probate_and_judgment_leads,
        lead_scores,
        listing_scores,
        alert_matches,
        notifications,
        daily_digest,
        weekly_report,
        daily_market_report,
        weekly_subscriber_report,
    ],
    jobs=ALL_JOBS,
    schedules=ALL_SCHEDULES,
    sensors=[
        dead_letter_sensor,
        dead_letter_resolution_sensor,
        queue_metrics_sensor,
        build_due_jobs_sensor(ALL_JOBS),
        new_listings_sensor,
        lead_alerts_sensor,
        email_outbox_sensor,
        outreach_outbox_sensor,
        inbox_sensor,
        lookup_requests_sensor,
        orphaned_runs_sensor,
        report_requests_sensor,
    ],
    resources={
        "database": FolioDatabase(),
        "file_source": FileSourceResource(),
        "archive": ArchiveResource(),
        "scorer": ListingScorerResource(),
        "email": EmailResource(),
        "records_api": RecordsApiResource(),
        "outreach": OutreachResource(),
    },
    executor=default_executor(),
)
