"""`folio tick` (every sensor once, in this process), its old name `folio alerts run`, and
`folio serve` (the HTTP service)."""

from __future__ import annotations

import json

import click

from pipelines.cli.common import console, fail, migrated_engine


def run_ticks(until_idle: bool, only=None):
    """Tick the sensors (see pipelines/control/ticks.py); a failed run ends the command."""
    from pipelines.control.instance import get_instance
    from pipelines.control.ticks import tick

    report = tick(get_instance(), until_idle=until_idle, only=only)
    for name, run in report.failed:
        fail(f"{name} run {run.run_id} failed: {run.error}")
    return report


def _print(report, as_json: bool) -> None:
    launched = {name: len(runs) for name, runs in report.runs.items()}
    if as_json:
        body = {
            "rounds": report.rounds,
            "runs": {n: [r.run_id for r in runs] for n, runs in report.runs.items()},
            "skipped_run_keys": report.skipped_run_keys,
        }
        click.echo(json.dumps(body, indent=2))
        return
    busy = {n: k for n, k in launched.items() if k}
    summary = ", ".join(f"{n.removesuffix('_sensor')} {k}" for n, k in busy.items())
    console.print(f"{report.rounds} round(s); runs launched: {summary or 'none (nothing to do)'}")


@click.command("tick")
@click.option("--until-idle", is_flag=True, help="Repeat until no sensor requests anything.")
@click.option("--json", "as_json", is_flag=True, help="Print the runs as JSON.")
def tick_cmd(until_idle: bool, as_json: bool) -> None:
    """Evaluate every sensor once, as the daemon would, and run what they request.

    Cursors are kept in the Dagster instance, so a second tick continues where the last
    one stopped; a batch the daemon (or an earlier tick) already ran is not run again."""
    migrated_engine()
    _print(run_ticks(until_idle), as_json)


@click.group()
def alerts() -> None:
    """Alert processing."""


@alerts.command("run")
def alerts_run() -> None:
    """The same as `folio tick --until-idle`."""
    migrated_engine()
    _print(run_ticks(True), False)


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8000, show_default=True, type=int, help="Port to listen on.")
def serve(host: str, port: int) -> None:
    """The HTTP service: listings, lookups, leads API, lead pages, /health."""
    import uvicorn

    migrated_engine()
    uvicorn.run("pipelines.http.app:app", host=host, port=port, log_level="info")
