"""A property lookup through the county's records API: an op (it spends units and calls out)."""

from dagster import Config, Failure, OpExecutionContext, Output, op

from pipelines.lookups.perform import perform_lookup
from pipelines.settings import get_settings
from pipelines.workqueue import RequestState
from resources.database import FolioDatabase
from resources.records_api import RecordsApiResource


class LookupConfig(Config):
    request_id: int


@op(
    description="Call the records API for one queued lookup (3 attempts, 2 s then 4 s apart, on "
    "timeouts and 5xx), settle or release its units, merge the answer into properties."
)
def perform_records_lookup(
    context: OpExecutionContext,
    config: LookupConfig,
    database: FolioDatabase,
    records_api: RecordsApiResource,
):
    try:
        client = records_api.client()
    except ValueError as exc:  # no API configured: say so once, no retries
        raise Failure(description=str(exc), allow_retries=False) from None
    state = perform_lookup(database.engine(), client, config.request_id, get_settings())
    context.log.info(f"lookup {config.request_id}: {state}")
    if state == RequestState.FAILED:
        raise Failure(
            description=f"lookup {config.request_id} failed (see GET /lookups/{config.request_id})",
            allow_retries=False,
        )
    return Output(None, metadata={"request_id": config.request_id, "state": state})
