"""`folio health` and `folio metrics`."""

from __future__ import annotations

import json
import sys

import click
from rich.table import Table

from pipelines.cli.common import console


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def health(as_json: bool) -> None:
    """Exit 0 when healthy; 1 when the database or Dagster storage is unreachable, a daemon is
    silent, a schedule missed its tick, or too many runs failed in the last hour."""
    from pipelines.control.health import as_dicts, check_health
    from pipelines.control.instance import get_instance
    from pipelines.settings import get_settings

    s = get_settings()
    checks = check_health(get_instance, s.resolved_database_url, s)
    healthy = all(c.ok for c in checks)
    if as_json:
        click.echo(json.dumps({"healthy": healthy, "checks": as_dicts(checks)}, indent=2))
    else:
        t = Table("check", "ok", "detail", title="healthy" if healthy else "UNHEALTHY")
        for c in checks:
            t.add_row(c.name, "yes" if c.ok else "[bold red]NO[/]", c.detail)
        console.print(t)
    sys.exit(0 if healthy else 1)


def _pct(v: float | None) -> str:
    return "" if v is None else f"{v:.0%}"


def _pair(m: dict, window: str) -> str:
    p50, p95 = m[f"p50_seconds_{window}"], m[f"p95_seconds_{window}"]
    return "–" if p50 is None else f"{p50:.1f}/{p95:.1f}"


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def metrics(as_json: bool) -> None:
    """Per job: waiting (queued), running, then for the last 1 h and 24 h: succeeded,
    failed, failed rate, p50/p95 duration in seconds."""
    from pipelines.control.health import job_metrics
    from pipelines.control.instance import get_instance

    data = job_metrics(get_instance())
    if as_json:
        click.echo(json.dumps(data, indent=2))
        return
    # Two rows per job (now and 1 h; 24 h) so that the table fits 80 columns whole.
    t = Table("job", "wait", "run", "in", "ok", "fail", "fail%", "p50/p95 s")
    for column, width in ((t.columns[0], 20), (t.columns[-1], 11)):  # never cut
        column.no_wrap, column.min_width = True, width
    for job, m in data.items():
        t.add_row(
            job,
            str(m["queued"]),
            str(m["in_progress"]),
            "1 h",
            str(m["succeeded_1h"]),
            str(m["failed_1h"]),
            _pct(m["failed_rate_1h"]),
            _pair(m, "1h"),
        )
        t.add_row(
            "",
            "",
            "",
            "24 h",
            str(m["succeeded_24h"]),
            str(m["failed_24h"]),
            _pct(m["failed_rate_24h"]),
            _pair(m, "24h"),
            end_section=True,
        )
    console.print(t if data else "no runs in the last 24 hours")
