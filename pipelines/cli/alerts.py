"""`folio alerts run` (process pending alerts in this process) and `folio serve` (HTTP intake)."""

from __future__ import annotations

import click

from pipelines.cli.common import console, fail, migrated_engine

ALERT_SENSORS = ("new_listings_sensor", "hot_leads_sensor", "email_outbox_sensor")


def process_alerts(max_rounds: int = 50) -> dict[str, int]:
    """Tick the alert sensors in-process until none has work; returns runs per sensor.
    What the daemon does every few seconds, for a machine without `dagster dev`."""
    from pipelines.control.instance import get_instance
    from pipelines.control.runner import tick_sensor

    instance = get_instance()
    cursors: dict[str, str | None] = dict.fromkeys(ALERT_SENSORS)
    runs = dict.fromkeys(ALERT_SENSORS, 0)
    for _ in range(max_rounds):
        busy = False
        for name in ALERT_SENSORS:
            outcome = tick_sensor(instance, name, cursors[name])
            cursors[name] = outcome.cursor
            for run in outcome.runs:
                if not run.success:
                    fail(f"{name} run {run.run_id} failed: {run.error}")
            runs[name] += len(outcome.runs)
            busy = busy or bool(outcome.runs)
        if not busy:
            break
    return runs


@click.group()
def alerts() -> None:
    """Alert processing."""


@alerts.command("run")
def alerts_run() -> None:
    """Score, match and deliver everything pending now, in this process."""
    migrated_engine()
    runs = process_alerts()
    console.print(", ".join(f"{name}: {n} run(s)" for name, n in runs.items()))


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8000, show_default=True, type=int, help="Port to listen on.")
def serve(host: str, port: int) -> None:
    """The HTTP intake: POST /listings, GET /listings/{id}, GET /health."""
    import uvicorn

    migrated_engine()
    uvicorn.run("pipelines.http.app:app", host=host, port=port, log_level="info")
