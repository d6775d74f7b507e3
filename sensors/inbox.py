"""Take in listing files dropped in `inbox/<tenant-slug>/`: one run per new file, run_key =
`<tenant-slug>:<sha256 of the file>` (the same bytes never run twice for a tenant; two
tenants may send identical files and each gets its own run)."""

from dagster import (
    DefaultSensorStatus,
    RunConfig,
    RunRequest,
    SensorEvaluationContext,
    SkipReason,
    sensor,
)

from pipelines.accounts.tenants import SetupError, get_tenant
from pipelines.listings.inbox import inbox_dir, scan_inbox
from pipelines.location.ops.intake import InboxFileConfig
from pipelines.settings import get_settings
from resources.database import FolioDatabase


@sensor(
    name="inbox_sensor",
    job_name="listing_intake",
    minimum_interval_seconds=get_settings().inbox_sensor_interval_seconds,
    default_status=DefaultSensorStatus.RUNNING,
    description="One listing_intake run per new CSV/XLSX/JSON file in inbox/<tenant>/ "
    "(run_key = <tenant>:<sha256>).",
)
def inbox_sensor(context: SensorEvaluationContext, database: FolioDatabase):
    found, duplicates = scan_inbox()
    for path in duplicates:
        context.log.info(
            f"{path.name}: same bytes as a file already taken in; moved aside, not run again"
        )
    requests = []
    for item in found:
        try:
            get_tenant(database.engine(), item.tenant_slug)
        except SetupError as exc:
            context.log.warning(f"inbox/{item.tenant_slug}/{item.path.name}: {exc}")
            continue
        config = InboxFileConfig(tenant=item.tenant_slug, path=str(item.path), sha256=item.sha256)
        requests.append(
            RunRequest(
                run_key=f"{item.tenant_slug}:{item.sha256}",
                run_config=RunConfig(ops={"take_in_inbox_file": config}),
                tags={"folio/inbox_file": f"{item.tenant_slug}/{item.path.name}"},
            )
        )
    return requests or SkipReason(f"no new file in {inbox_dir()}")
