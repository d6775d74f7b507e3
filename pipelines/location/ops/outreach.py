"""Ops for paid outreach: delivering SMS, calls and webhooks (and settling what they cost),
and the nightly token expiry. Ops, not assets: they send messages and move money."""

from dagster import MetadataValue, OpExecutionContext, Output, op

from pipelines.notify.paid_delivery import deliver_outreach, reconcile
from pipelines.outreach.purchases import run_token_expiry
from pipelines.upkeep.delivery_alerts import alert_undelivered
from resources.database import FolioDatabase
from resources.outreach import OutreachResource


@op(
    description="Send every due SMS, call and webhook (screened again for opt-outs, quiet "
    "hours and the daily cap), each by its channel's retry budget; capture or release the "
    "tokens; then settle messages whose outcome was unknown by asking the provider."
)
def send_queued_outreach(
    context: OpExecutionContext, database: FolioDatabase, outreach: OutreachResource
):
    engine, phones = database.engine(), outreach.phone_sender()
    counts = deliver_outreach(engine, phones, outreach.webhook_sender(), log=context.log.info)
    settled = reconcile(engine, phones)
    context.log.info(f"outreach delivery: {counts.as_dict()}; reconciled: {settled}")
    alert_undelivered("outreach", counts.problems)
    metadata = {**counts.as_dict(), **{f"reconcile_{k}": v for k, v in settled.items()}}
    return Output(None, metadata={k: MetadataValue.int(v) for k, v in metadata.items()})


@op(
    description="Expire lapsed token grants (what is left of them) and queue the "
    "expiring_trial / tokens_expiring emails, once per grant."
)
def expire_tokens(context: OpExecutionContext, database: FolioDatabase):
    counts = run_token_expiry(database.engine())
    context.log.info(f"token expiry: {counts}")
    return Output(None, metadata={k: MetadataValue.int(v) for k, v in counts.items()})
