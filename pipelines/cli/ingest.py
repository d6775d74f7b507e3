"""`folio samples | run | backfill | status`: county files in, one partition or a range."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import click
from rich.console import Console
from rich.table import Table

from pipelines import clock
from pipelines.cli.common import console, database_url, fail, migrated_engine, parse_date
from pipelines.county.partition_keys import CADENCES

CADENCE = click.Choice(CADENCES)
SOURCE_HELP = (
    "Where the county files are: a folder holding daily/YYYY-MM-DD/ (weekly/<Monday>/, "
    "monthly/YYYY-MM/), sftp://user@host:port/root, or an https URL template "
    "(default: FOLIO_SOURCE_URL, else data/source)."
)


@click.command()
@click.option("--days", default=15, show_default=True, help="Business days of files to write.")
@click.option(
    "--out",
    "out_dir",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder to write the daily/, weekly/ and monthly/ trees into.",
)
@click.option(
    "--end",
    callback=parse_date,
    help="Last business day, YYYY-MM-DD (default: the last complete one).",
)
@click.option("--docs-per-day", default=300, show_default=True, help="Recorded documents per day.")
@click.option(
    "--seed", default=7, show_default=True, help="Random seed: the same seed writes the same files."
)
@click.option(
    "--parcels",
    default=2_000,
    show_default=True,
    type=click.IntRange(min=1),
    help="Properties the records are drawn from (more: fewer records per property).",
)
def samples(
    days: int, out_dir: Path, end: date | None, docs_per_day: int, seed: int, parcels: int
) -> None:
    """Write synthetic county files without running anything: daily/YYYY-MM-DD/ for each business
    day, weekly/<Monday>/ for each complete week in the range, monthly/YYYY-MM/ for the month
    before."""
    written = write_sample_files(out_dir, days, end, docs_per_day, seed, parcels)
    daily = written["daily"]
    console.print(
        f"wrote {len(daily)} business days ({daily[0]}..{daily[-1]}) under {out_dir}/daily, "
        f"weeks {', '.join(written['weekly']) or 'none'}, months {', '.join(written['monthly'])}"
    )


def write_sample_files(
    out_dir: Path, days: int, end: date | None, docs_per_day: int, seed: int, parcels: int = 2_000
) -> dict:
    from pipelines.calendar import last_complete_business_day
    from pipelines.county.samples import write_sample_range

    if days < 1:
        fail("--days must be at least 1")
    return write_sample_range(
        out_dir, days, end or last_complete_business_day(), docs_per_day, seed, parcels
    )


def resolve_source(source: str | None) -> str | None:
    """The --source value as the run's file source URL (a folder made absolute), or None."""
    if not source or "://" in source:  # sftp://user@host/root or an https URL template
        return source
    if not Path(source).is_dir():
        fail(f"--source {source}: no such folder")
    return str(Path(source).resolve())


VERBOSE = click.option(
    "--verbose",
    is_flag=True,
    help="Show Dagster's step logs as the run goes (and a failure's "
    "stack trace); without it a failure is one line with the reason.",
)


def _launch(cadence: str, keys: list[str], source_url: str | None, verbose: bool = False) -> None:
    from pipelines.control.instance import get_instance
    from pipelines.control.runner import missing_files
    from pipelines.county.sources import SourceError
    from resources.file_source import FileSourceResource

    engine = migrated_engine()
    try:
        source = FileSourceResource(url=source_url or "").client()
        missing = missing_files(source, cadence, keys)
    except (SourceError, ValueError) as exc:  # refused host key, bad URL...: say so, no traceback
        fail(str(exc))
    if missing:
        fail(f"{source.describe()} is missing files:\n  " + "\n  ".join(missing[:20]))
    started = clock.now()
    outcome = _run_with_progress(engine, get_instance(), cadence, keys, source_url, verbose)
    if not outcome.success:
        fail(f"run {outcome.run_id} failed: {outcome.error}")
    print_summary()  # what the database holds now, then what this run did
    print_run_summary(engine, outcome.run_id, started)
    console.print(f"(the run executed {outcome.where})", style="dim")


def _run_with_progress(engine, instance, cadence, keys, source_url, verbose):
    """The run, with a bar of the partitions' files staged so far (read from the ingestion log
    between the runner's checks for Ctrl-C); no bar when the output is not a terminal or
    --verbose shows Dagster's own logs."""
    import time

    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from pipelines.control.runner import run_partitions
    from pipelines.db.schema.layouts import layouts_for
    from pipelines.upkeep.summary import files_staged

    since, files = clock.now(), len(layouts_for(cadence))
    level = "INFO" if verbose else "CRITICAL"
    columns = [
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    ]
    shown = not verbose and console.is_terminal
    # A live display starts and stops on one Console (the `console` proxy makes one per use).
    with Progress(*columns, console=Console(), disable=not shown) as bar:
        task = bar.add_task(
            f"{cadence} {keys[0]}..{keys[-1]}: files staged", total=len(keys) * files
        )
        last = [0.0]

        def tick() -> None:
            if shown and time.monotonic() - last[0] > 0.5:
                last[0] = time.monotonic()
                bar.update(task, completed=files_staged(engine, cadence, keys, since))

        return run_partitions(
            instance, cadence, keys, log_level=level, source_url=source_url, progress=tick
        )


def print_run_summary(engine, run_id: str, started) -> None:
    from pipelines.upkeep.summary import run_summary

    s = run_summary(engine, run_id, started)
    console.print(
        f"run {run_id} succeeded: {s['partitions']} partition(s) "
        f"({s['partitions_unchanged']} unchanged), {s['rows_read']:,} rows read, "
        f"{s['rows_staged']:,} staged, {s['rows_quarantined']:,} quarantined, "
        f"{s['leads_created']:,} lead(s) created"
    )


def cadence_keys(cadence: str, start: date, end: date) -> list[str]:
    from pipelines.control.runner import PartitionError, partition_keys

    try:
        return partition_keys(cadence, start, end)
    except PartitionError as exc:
        fail(str(exc))


PERIODIC_KIND = {"digest": "digest", "weekly-report": "weekly"}
PERIODIC = {
    "digest": ("daily", "daily_digest_emails"),
    "weekly-report": ("weekly", "weekly_report_emails"),
}


@click.command()
@click.argument("cadence", type=click.Choice([*CADENCES, *PERIODIC]))
@click.option(
    "--date",
    "day",
    required=True,
    callback=parse_date,
    help="YYYY-MM-DD: a business day (daily), any day of the week (weekly) or of the month "
    "(monthly).",
)
@click.option("--source", help=SOURCE_HELP)
@VERBOSE
def run(cadence: str, day: date, source: str | None, verbose: bool) -> None:
    """Materialise one partition: raw files → staged → matched/merged → leads. `digest` and
    `weekly-report` queue that day's digest (that week's report) emails instead."""
    from pipelines.county.partition_keys import first_day, key_for

    if cadence in PERIODIC:
        return _run_periodic(cadence, day)
    source_url = resolve_source(source)
    key = key_for(cadence, day)
    keys = [k for k in cadence_keys(cadence, first_day(key), first_day(key)) if k == key]
    if not keys:
        fail(f"{day} is not in a complete {cadence} partition (weekends are not business days)")
    _launch(cadence, keys, source_url, verbose)


def _run_periodic(name: str, day: date) -> None:
    from pipelines.control.instance import get_instance
    from pipelines.control.runner import run_partition
    from pipelines.county.partition_keys import first_day, key_for

    cadence, job_name = PERIODIC[name]
    key = key_for(cadence, day)
    if not cadence_keys(cadence, first_day(key), first_day(key)):
        fail(f"{day} is not in a complete {cadence} partition (weekends are not business days)")
    migrated_engine()
    outcome = run_partition(get_instance(), job_name, key)
    if not outcome.success:
        fail(f"run {outcome.run_id} failed: {outcome.error}")
    waiting = periodic_emails(PERIODIC_KIND[name], first_day(key))
    console.print(
        f"run {outcome.run_id} succeeded ({outcome.where}): {waiting} {name} email(s) for "
        f"{key} in the outbox; `folio tick` sends what is queued"
    )


def periodic_emails(kind: str, day: date) -> int:
    from sqlalchemy import func, select

    from pipelines.alerts.digest import day_id
    from pipelines.db.engine import get_engine
    from pipelines.db.schema import notifications

    n = notifications.c
    with get_engine(database_url()).connect() as conn:
        return conn.execute(
            select(func.count()).where(n.item_kind == kind, n.item_id == day_id(day))
        ).scalar()


@click.command()
@click.argument("cadence", type=CADENCE)
@click.option("--from", "start", required=True, callback=parse_date, help="First day, YYYY-MM-DD.")
@click.option("--to", "end", required=True, callback=parse_date, help="Last day, YYYY-MM-DD.")
@click.option("--source", help=SOURCE_HELP)
@VERBOSE
def backfill(cadence: str, start: date, end: date, source: str | None, verbose: bool) -> None:
    """Materialise a range of partitions in one run (single-run backfill), with a bar of
    partitions staged, ending with the run's own summary."""
    if end < start:
        fail("--to is before --from")
    source_url = resolve_source(source)
    _launch(cadence, cadence_keys(cadence, start, end), source_url, verbose)


def print_summary() -> None:
    from pipelines.db.engine import get_engine
    from pipelines.upkeep.summary import summarize

    s = summarize(get_engine(database_url()))
    t = Table(title="Folio", show_header=False)
    t.add_row("partitions ingested", str(s["partitions"]))
    t.add_row("rows read / staged", f"{s['rows_read']:,} / {s['rows_staged']:,}")
    t.add_row("rows quarantined", f"{s['rows_quarantined']:,}")
    t.add_row("exact duplicate rows collapsed", f"{s['duplicates_collapsed']:,}")
    t.add_row("properties (with owner)", f"{s['properties']:,} ({s['properties_with_owner']:,})")
    for lead_type, n in sorted(s["leads_by_type"].items()):
        t.add_row(f"leads: {lead_type}", f"{n:,}")
    for status, n in sorted(s["leads_by_status"].items()):
        t.add_row(f"leads {status}", f"{n:,}")
    for file_type, status, method, n in s["matches"]:
        t.add_row(f"{file_type} {status}" + (f" by {method}" if method else ""), f"{n:,}")
    if s["leads_scored"]:
        t.add_row("leads scored (mean score)", f"{s['leads_scored']:,} ({s['mean_score']:.1f})")
    for reason, n in s["top_quarantine_reasons"]:
        t.add_row("quarantined because", f"{n} × {reason[:70]}")
    console.print(t)


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
def status(as_json: bool) -> None:
    """Summarise what has been ingested (partitions, rows, properties, leads)."""
    engine = migrated_engine()
    if as_json:
        from pipelines.cli.common import emit_json
        from pipelines.upkeep.summary import summarize

        return emit_json(summarize(engine))
    print_summary()
