"""`folio`: the operator's command line. One module per command group; this one only
assembles them (see docs/architecture.md for what each room may import)."""

from __future__ import annotations

import warnings

import click

from pipelines.cli.accounts import criteria, subscribers, tenants
from pipelines.cli.alerts import alerts, serve, tick_cmd
from pipelines.cli.common import fail
from pipelines.cli.db import db
from pipelines.cli.demo import demo
from pipelines.cli.dlq import dlq
from pipelines.cli.health import health, metrics
from pipelines.cli.ingest import backfill, run, samples, status
from pipelines.cli.listings import listings
from pipelines.cli.lookup import lookup
from pipelines.cli.outbox import outbox
from pipelines.cli.reports import leads, reports
from pipelines.cli.runs import runs
from pipelines.cli.schedule import schedule_cmd
from pipelines.cli.tokens import optout, outreach, tokens


class _FolioGroup(click.Group):
    """A setting that is invalid, or a provider chosen without its key, is one line naming
    the variable (no traceback), whichever command meets it."""

    def invoke(self, ctx: click.Context):
        from pipelines.settings import SettingsError

        try:
            return super().invoke(ctx)
        except SettingsError as exc:
            fail(str(exc))


@click.group(cls=_FolioGroup)
@click.version_option(package_name="folio", prog_name="folio")
def main() -> None:
    """Folio: county records and listings → scored real-estate leads."""
    from pipelines.settings import get_settings

    get_settings()  # every command starts from valid settings (FOLIO_*, `.env`)
    # Dagster's beta/preview notices are for developers, not for the operator's terminal.
    from dagster import BetaWarning, PreviewWarning, SupersessionWarning

    for category in (BetaWarning, PreviewWarning, SupersessionWarning):
        warnings.filterwarnings("ignore", category=category)


for _command in (
    db,
    samples,
    run,
    backfill,
    status,
    demo,
    runs,
    health,
    metrics,
    schedule_cmd,
    dlq,
    tenants,
    subscribers,
    criteria,
    listings,
    outbox,
    alerts,
    tick_cmd,
    reports,
    leads,
    serve,
    lookup,
    tokens,
    optout,
    outreach,
):
    main.add_command(_command)
