"""Building a requested report: an op (it writes a file to the report store and queues an
email), one request per run, 2 attempts 5 s apart."""

from dagster import Config, Failure, OpExecutionContext, Output, op

from pipelines.reports.requests import build_request
from pipelines.settings import RETRY_BUDGETS
from resources.database import FolioDatabase


class ReportConfig(Config):
    request_id: int


@op(description="Build one requested report (listing PDF or leads export), store it, email it.")
def build_requested_report(
    context: OpExecutionContext, config: ReportConfig, database: FolioDatabase
):
    # The job's retry budget (RETRY_BUDGETS["reports"]): on the last attempt an error is final.
    last = context.retry_number + 1 >= RETRY_BUDGETS["reports"].max_attempts
    built = build_request(database.engine(), config.request_id, last_attempt=last)
    if built.state == "failed":
        raise Failure(
            description=f"report {config.request_id} failed: {built.error}", allow_retries=False
        )
    report = built.report or {}
    return Output(
        None,
        metadata={
            "request_id": config.request_id,
            "state": built.state,
            "sha256": report.get("sha256", ""),
            "bytes": report.get("bytes", 0),
            "uri": report.get("uri", ""),
        },
    )
