"""`folio dlq`: runs that failed after their last retry (the dead-letter queue). An entry
closes itself (`resolved`) once a later run of its job and partition, or a retry, succeeds."""

from __future__ import annotations

import json

import click

from pipelines.cli.common import console, fail, migrated_engine, table


@click.group()
def dlq() -> None:
    """Runs that failed after their last retry (failed_jobs)."""


@dlq.command("list")
@click.option("--all", "show_all", is_flag=True, help="Include resolved and discarded entries.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON (full run ids and errors).")
def dlq_list(show_all: bool, as_json: bool) -> None:
    """Open entries: job, partition, attempts, last failure and the error."""
    from pipelines.upkeep.dead_letters import list_failed

    rows = list_failed(migrated_engine(), None if show_all else "open")
    if as_json:
        click.echo(json.dumps([{**r, "tags": json.loads(r["tags"])} for r in rows], default=str))
        return
    if not rows:
        console.print("dead-letter queue is empty")
        return
    # The error goes under the table, one entry per line, so that the table fits 80 columns
    # and the message keeps the terminal's whole width.
    t = table(
        "id",
        "job",
        "partition",
        "attempts",
        "last failure (UTC)",
        "status",
        whole={"id": 2, "partition": 10, "last failure (UTC)": 16},
    )
    for r in rows:
        t.add_row(
            str(r["id"]),
            r["job_name"],
            r["partition_key"] or "",
            str(r["attempts"]),
            str(r["last_failure_at"])[:16],
            _status(r),
        )
    console.print(t)
    for r in rows:
        error = ": ".join(str(part) for part in (r["error_class"], r["error_message"]) if part)
        console.print(f"#{r['id']} {error}"[:300], markup=False)


def _status(row: dict) -> str:
    if row["status"] == "resolved" and row.get("resolved_run_id"):
        return f"resolved by {row['resolved_run_id'][:8]}"
    return row["status"]


@dlq.command("retry")
@click.argument("dlq_id", type=int)
def dlq_retry(dlq_id: int) -> None:
    """Run the failed job again for the same partition and run config, through the Dagster
    instance."""
    from pipelines.control.instance import get_instance
    from pipelines.control.runner import rerun
    from pipelines.upkeep.dead_letters import get_failed, mark_retried

    engine = migrated_engine()
    row = get_failed(engine, dlq_id)
    if row is None:
        fail(f"no dead-letter entry {dlq_id} (see `folio dlq list --all`)")
    if row["status"] != "open":
        fail(
            f"entry {dlq_id} is {row['status']}"
            + (f" (run {row['retry_run_id']})" if row["retry_run_id"] else "")
        )
    try:
        outcome = rerun(get_instance(), row["run_id"])
    except LookupError as exc:
        fail(f"entry {dlq_id}: {exc}")
    if not outcome.success:  # the failed retry has re-opened the entry (attempts + 1)
        fail(f"retry run {outcome.run_id} failed too (entry {dlq_id} stays open): {outcome.error}")
    mark_retried(engine, dlq_id, outcome.run_id)  # the runner resolved it already, normally
    console.print(
        f"entry {dlq_id}: retry run {outcome.run_id} succeeded ({outcome.where}); entry resolved"
    )


@dlq.command("discard")
@click.argument("dlq_id", type=int)
@click.option("--why", required=True, help="Why this failure needs no retry (kept with the entry).")
def dlq_discard(dlq_id: int, why: str) -> None:
    """Close an entry without retrying it."""
    from pipelines.upkeep.dead_letters import discard

    if not discard(migrated_engine(), dlq_id, why):
        fail(f"entry {dlq_id} is not an open dead-letter entry (see `folio dlq list --all`)")
    console.print(f"entry {dlq_id} discarded: {why}")
