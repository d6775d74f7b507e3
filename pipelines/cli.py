"""`folio`: the operator's command line (demo, samples, run, backfill, db, status)."""

from __future__ import annotations

import os
import sys
import warnings
from datetime import date, timedelta
from pathlib import Path

import click
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from pipelines.cli_common import console
from pipelines.cli_common import fail as _fail
from pipelines.cli_common import migrated_engine as _engine


def _date(_ctx, _param, value):
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a date; use YYYY-MM-DD") from None


@click.group()
def main() -> None:
    """Folio: county records and listings → scored real-estate leads."""
    # Dagster's beta/preview notices are for developers, not for the operator's terminal.
    from dagster import BetaWarning, PreviewWarning, SupersessionWarning

    for category in (BetaWarning, PreviewWarning, SupersessionWarning):
        warnings.filterwarnings("ignore", category=category)


# --- database -------------------------------------------------------------------------------

@main.group()
def db() -> None:
    """The product database (FOLIO_DATABASE_URL; SQLite under ./data by default)."""


@db.command("upgrade")
def db_upgrade() -> None:
    """Apply all migrations."""
    from pipelines.settings import get_settings
    from pipelines.store.db import redact
    from pipelines.store.migrate import current, upgrade

    url = get_settings().resolved_database_url
    upgrade(url)
    console.print(f"database {redact(url)} at revision {current(url)}")


@db.command("current")
def db_current() -> None:
    """Print the applied migration revision."""
    from pipelines.settings import get_settings
    from pipelines.store.migrate import current

    console.print(current(get_settings().resolved_database_url) or "(none: run `folio db upgrade`)")


# --- samples --------------------------------------------------------------------------------

def last_business_day(today: date | None = None) -> date:
    d = (today or date.today()) - timedelta(days=1)
    while d.weekday() >= 5:
        d -= timedelta(days=1)
    return d


@main.command()
@click.option("--days", default=15, show_default=True, help="Business days of files to write.")
@click.option("--out", "out_dir", required=True, type=click.Path(file_okay=False, path_type=Path))
@click.option("--end", callback=_date, help="Last business day (default: the last complete one).")
@click.option("--docs-per-day", default=300, show_default=True, help="Recorded documents per day.")
@click.option("--seed", default=7, show_default=True)
def samples(days: int, out_dir: Path, end: date | None, docs_per_day: int, seed: int) -> None:
    """Write synthetic county files without running anything: daily/YYYY-MM-DD/ for each business
    day, weekly/<Monday>/ for each complete week in the range, monthly/YYYY-MM/ for the month before."""
    written = _write_samples(out_dir, days, end, docs_per_day, seed)
    daily = written["daily"]
    console.print(f"wrote {len(daily)} business days ({daily[0]}..{daily[-1]}) under {out_dir}/daily, "
                  f"weeks {', '.join(written['weekly']) or 'none'}, months {', '.join(written['monthly'])}")


def _write_samples(out_dir: Path, days: int, end: date | None, docs_per_day: int, seed: int) -> dict:
    from pipelines.records.samples import write_samples

    if days < 1:
        _fail("--days must be at least 1")
    end = end or last_business_day()
    start = end
    for _ in range(days - 1):
        start -= timedelta(days=1)
        while start.weekday() >= 5:
            start -= timedelta(days=1)
    # Whole weeks inside the range; the month before the range ends.
    weeks = [(start + timedelta(days=(7 - start.weekday()) % 7 + 7 * i)) for i in range(days // 5 + 1)]
    weeks = [w.isoformat() for w in weeks if w + timedelta(days=6) <= end + timedelta(days=1)]
    month = (end.replace(day=1) - timedelta(days=1)).strftime("%Y-%m")
    return write_samples(out_dir, start, end, weeks, [month], docs=docs_per_day, seed=seed)


# --- run / backfill -------------------------------------------------------------------------

def _prepare(source: str | None) -> None:
    if source:
        if "://" in source:  # sftp://user@host/root or an https URL template
            os.environ["FOLIO_SOURCE_URL"] = source
        elif not Path(source).is_dir():
            _fail(f"--source {source}: no such folder")
        else:
            os.environ["FOLIO_SOURCE_URL"] = str(Path(source).resolve())
    from pipelines.settings import get_settings
    from pipelines.store.migrate import upgrade

    upgrade(get_settings().resolved_database_url)


def _launch(cadence: str, keys: list[str]) -> None:
    from pipelines.instance import get_instance
    from pipelines.runner import missing_files, run_partitions
    from pipelines.sources import SourceError
    from resources.file_source import FileSourceResource

    try:
        source = FileSourceResource().client()
        missing = missing_files(source, cadence, keys)
    except (SourceError, ValueError) as exc:  # refused host key, bad URL...: say so, no traceback
        _fail(str(exc))
    if missing:
        _fail(f"{source.describe()} is missing files:\n  " + "\n  ".join(missing[:20]))
    with console.status(f"running {cadence} ingestion for {keys[0]}..{keys[-1]}"):
        outcome = run_partitions(get_instance(), cadence, keys)
    if not outcome.success:
        _fail(f"run {outcome.run_id} failed: {outcome.error}")
    console.print(f"run {outcome.run_id} succeeded: {len(keys)} partition(s)")
    _print_summary()


def _cadence_keys(cadence: str, start: date, end: date) -> list[str]:
    from pipelines.runner import PartitionError, partition_keys

    try:
        return partition_keys(cadence, start, end)
    except PartitionError as exc:
        _fail(str(exc))


CADENCES = click.Choice(["daily", "weekly", "monthly"])


@main.command()
@click.argument("cadence", type=CADENCES)
@click.option("--date", "day", required=True, callback=_date,
              help="The partition: a business day (daily), any day of the week (weekly) or month (monthly).")
@click.option("--source", help="Folder holding daily/YYYY-MM-DD/, sftp://user@host:port/root or an https URL "
                               "template (default: FOLIO_SOURCE_URL or data/source).")
def run(cadence: str, day: date, source: str | None) -> None:
    """Materialise one partition: raw files → staged → matched/merged → leads."""
    from pipelines.runner import partition_key_for

    _prepare(source)
    key = partition_key_for(cadence, day)
    first_day = date.fromisoformat(key if len(key) == 10 else key + "-01")
    keys = [k for k in _cadence_keys(cadence, first_day, first_day) if k == key]
    if not keys:
        _fail(f"{day} is not in a complete {cadence} partition (weekends are not business days)")
    _launch(cadence, keys)


@main.command()
@click.argument("cadence", type=CADENCES)
@click.option("--from", "start", required=True, callback=_date)
@click.option("--to", "end", required=True, callback=_date)
@click.option("--source", help="Folder holding daily/YYYY-MM-DD/.")
def backfill(cadence: str, start: date, end: date, source: str | None) -> None:
    """Materialise a range of partitions in one run (single-run backfill)."""
    if end < start:
        _fail("--to is before --from")
    _prepare(source)
    _launch(cadence, _cadence_keys(cadence, start, end))


# --- status / demo --------------------------------------------------------------------------

def _print_summary() -> None:
    from pipelines.settings import get_settings
    from pipelines.store.db import get_engine
    from pipelines.summary import summarize

    s = summarize(get_engine(get_settings().resolved_database_url))
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


@main.command()
def status() -> None:
    """Summarise what has been ingested (partitions, rows, properties, leads)."""
    from pipelines.settings import get_settings
    from pipelines.store.migrate import upgrade

    upgrade(get_settings().resolved_database_url)
    _print_summary()


@main.command()
@click.option("--days", default=15, show_default=True, help="Business days of sample files.")
@click.option("--docs-per-day", default=300, show_default=True)
def demo(days: int, docs_per_day: int) -> None:
    """Generate sample county files and ingest them on the embedded defaults: the daily partitions
    one run at a time, then a week and a month of civil files, then the nightly lead scoring;
    then a demo tenant with two subscribers submits 300 listings, which are scored, matched
    and emailed (to the file outbox) through the sensor-driven path."""
    from pipelines.instance import get_instance
    from pipelines.runner import run_job, run_partitions
    from pipelines.settings import get_settings

    settings = get_settings()
    source = Path(settings.resolved_source_url)
    written = _write_samples(source, days, None, docs_per_day, 7)
    console.print(f"sample files: {len(written['daily'])} business days, weeks {written['weekly']}, "
                  f"months {written['monthly']} under {source}")
    _prepare(None)
    instance = get_instance()
    runs = [("daily", [k]) for k in written["daily"]]
    runs += [("weekly", [k]) for k in written["weekly"]] + [("monthly", [k]) for k in written["monthly"]]
    columns = [TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn()]
    with Progress(*columns, console=console) as progress:
        task = progress.add_task("ingesting", total=len(runs) + 1)
        for cadence, keys in runs:
            progress.update(task, description=f"ingesting {cadence} {keys[0]}")
            outcome = run_partitions(instance, cadence, keys)
            if not outcome.success:
                _fail(f"run {outcome.run_id} for {cadence} {keys[0]} failed: {outcome.error}")
            progress.advance(task)
        progress.update(task, description="scoring leads")
        outcome = run_job(instance, "lead_scoring")
        if not outcome.success:
            _fail(f"lead scoring run {outcome.run_id} failed: {outcome.error}")
        progress.advance(task)
    _print_summary()
    from pipelines.cli_alerts import demo_alerts

    demo_alerts()
    console.print(
        f"\ndatabase: {settings.resolved_database_url}\n"
        f"see lineage and runs: DAGSTER_HOME={os.environ['DAGSTER_HOME']} .venv/bin/dagster dev"
    )


# --- runs ----------------------------------------------------------------------------------

@main.group()
def runs() -> None:
    """Runs in the Dagster instance: list, show, cancel, retry."""


def _max_attempts(job_name: str) -> int | None:
    from pipelines.definitions import defs

    try:
        policy = defs.resolve_job_def(job_name).op_retry_policy
    except Exception:
        return None
    return policy.max_retries + 1 if policy else 1


@runs.command("list")
@click.option("--job", help="Only this job.")
@click.option("--status", type=click.Choice(["queued", "not_started", "started", "success", "failure", "canceled",
                                             "canceling", "starting"], case_sensitive=False))
@click.option("--limit", default=50, show_default=True)
def runs_list(job: str | None, status: str | None, limit: int) -> None:
    from pipelines.instance import get_instance
    from pipelines.runs import list_runs

    views = list_runs(get_instance(), job, status, limit)
    t = Table("run id", "job", "status", "partition", "seconds")
    for v in views:
        t.add_row(v.run_id, v.job_name, v.status, v.partition, "" if v.seconds is None else str(v.seconds))
    console.print(t if views else "no runs")


@runs.command("show")
@click.argument("run_id")
def runs_show(run_id: str) -> None:
    from pipelines.instance import get_instance
    from pipelines.runs import show_run

    instance = get_instance()
    record = instance.get_run_by_id(run_id)
    info = show_run(instance, run_id, _max_attempts(record.job_name) if record else None)
    if info is None:
        _fail(f"no run {run_id} (see `folio runs list`)")
    console.print(f"run {info['run_id']}  job {info['job']}  status {info['status']}  "
                  f"partition {info['partition'] or '-'}  {info['seconds'] or '-'} s")
    t = Table("step", "status", "attempts", "seconds")
    for step in info["steps"]:
        t.add_row(step["step"], step["status"], step["attempts"], str(step["seconds"] or ""))
    console.print(t)


@runs.command("cancel")
@click.argument("run_id")
def runs_cancel(run_id: str) -> None:
    from pipelines.instance import get_instance
    from pipelines.runs import cancel_run

    try:
        state = cancel_run(get_instance(), run_id)
    except (LookupError, ValueError) as exc:
        _fail(str(exc))
    console.print(f"run {run_id}: {state}")


@runs.command("retry")
@click.argument("run_id")
def runs_retry(run_id: str) -> None:
    """Run the same job for the same partition again (a new run)."""
    from pipelines.instance import get_instance
    from pipelines.runner import rerun

    instance = get_instance()
    run = instance.get_run_by_id(run_id)
    if run is None:
        _fail(f"no run {run_id} (see `folio runs list`)")
    outcome = rerun(instance, run.job_name, dict(run.tags))
    if not outcome.success:
        _fail(f"retry run {outcome.run_id} failed: {outcome.error}")
    console.print(f"run {run_id} retried as {outcome.run_id}: succeeded")


# --- health / metrics ------------------------------------------------------------------------

@main.command()
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def health(as_json: bool) -> None:
    """Exit 0 when healthy; 1 when the database or Dagster storage is unreachable, a daemon is
    silent, a schedule missed its tick, or too many runs failed in the last hour."""
    import json

    from pipelines.health import as_dicts, check_health
    from pipelines.instance import get_instance
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


@main.command()
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def metrics(as_json: bool) -> None:
    """Per job: queued, in progress, succeeded, failed, failed rate, p50/p95 duration (1 h, 24 h)."""
    import json

    from pipelines.health import job_metrics
    from pipelines.instance import get_instance

    data = job_metrics(get_instance())
    if as_json:
        click.echo(json.dumps(data, indent=2))
        return
    t = Table("job", "queued", "running", "ok 1h", "failed 1h", "fail% 1h", "p50/p95 1h s", "ok 24h", "failed 24h",
              "p50/p95 24h s")
    pct = lambda v: "" if v is None else f"{v:.0%}"
    for job, m in data.items():
        t.add_row(job, str(m["queued"]), str(m["in_progress"]), str(m["succeeded_1h"]), str(m["failed_1h"]),
                  pct(m["failed_rate_1h"]), f"{m['p50_seconds_1h'] or ''}/{m['p95_seconds_1h'] or ''}",
                  str(m["succeeded_24h"]), str(m["failed_24h"]), f"{m['p50_seconds_24h'] or ''}/{m['p95_seconds_24h'] or ''}")
    console.print(t if data else "no runs in the last 24 hours")


# --- delayed one-off jobs ------------------------------------------------------------------------

@main.command("schedule")
@click.argument("job_name")
@click.option("--at", "at", required=True, help="When: ISO 8601, e.g. 2026-12-01T09:30 (county time if no offset).")
@click.option("--config", "config_file", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Run config as YAML or JSON.")
@click.option("--partition", help="Partition key, for partitioned jobs.")
def schedule_cmd(job_name: str, at: str, config_file: Path | None, partition: str | None) -> None:
    """Launch JOB once at a later time (the due-jobs sensor fires it; needs the Dagster daemon)."""
    from datetime import datetime
    from zoneinfo import ZoneInfo

    import yaml

    from pipelines.definitions import defs
    from pipelines.delayed import schedule_job
    from pipelines.settings import get_settings

    names = sorted(j.name for j in defs.resolve_all_job_defs() if not j.name.startswith("__"))
    if job_name not in names:
        _fail(f"no job {job_name!r}; jobs: {', '.join(names)}")
    try:
        when = datetime.fromisoformat(at)
    except ValueError:
        _fail(f"--at {at!r} is not ISO 8601 (e.g. 2026-12-01T09:30 or 2026-12-01T09:30-05:00)")
    if when.tzinfo is None:
        when = when.replace(tzinfo=ZoneInfo(get_settings().timezone))
    config = {}
    if config_file:
        try:
            config = yaml.safe_load(config_file.read_text()) or {}
        except yaml.YAMLError as exc:
            _fail(f"{config_file}: not YAML/JSON: {exc}")
        if not isinstance(config, dict):
            _fail(f"{config_file}: run config must be a mapping")
    job_id = schedule_job(_engine(), job_name, when, config, partition)
    console.print(f"scheduled {job_name} for {when.isoformat()} (request {job_id}; run_key scheduled-job-{job_id})")


# --- dead-letter queue ------------------------------------------------------------------------

@main.group()
def dlq() -> None:
    """Runs that failed after their last retry (failed_jobs)."""


@dlq.command("list")
@click.option("--all", "show_all", is_flag=True, help="Include retried and discarded entries.")
def dlq_list(show_all: bool) -> None:
    from pipelines.deadletter import list_failed

    rows = list_failed(_engine(), None if show_all else "open")
    if not rows:
        console.print("dead-letter queue is empty")
        return
    t = Table("id", "job", "partition", "attempts", "last failure", "status", "error")
    for r in rows:
        t.add_row(str(r["id"]), r["job_name"], r["partition_key"] or "", str(r["attempts"]),
                  str(r["last_failure_at"])[:19], r["status"], f"{r['error_class']}: {r['error_message']}"[:80])
    console.print(t)


@dlq.command("retry")
@click.argument("dlq_id", type=int)
def dlq_retry(dlq_id: int) -> None:
    """Run the failed job again for the same partition, through the Dagster instance."""
    import json

    from pipelines.deadletter import get_failed, mark_retried
    from pipelines.instance import get_instance
    from pipelines.runner import rerun

    engine = _engine()
    row = get_failed(engine, dlq_id)
    if row is None:
        _fail(f"no dead-letter entry {dlq_id} (see `folio dlq list --all`)")
    if row["status"] != "open":
        _fail(f"entry {dlq_id} is {row['status']}" + (f" (run {row['retry_run_id']})" if row["retry_run_id"] else ""))
    outcome = rerun(get_instance(), row["job_name"], json.loads(row["tags"]))
    mark_retried(engine, dlq_id, outcome.run_id)
    if not outcome.success:
        _fail(f"retry run {outcome.run_id} failed too: {outcome.error}")
    console.print(f"entry {dlq_id}: retry run {outcome.run_id} succeeded")


@dlq.command("discard")
@click.argument("dlq_id", type=int)
@click.option("--why", required=True, help="Why this failure needs no retry (kept with the entry).")
def dlq_discard(dlq_id: int, why: str) -> None:
    from pipelines.deadletter import discard

    if not discard(_engine(), dlq_id, why):
        _fail(f"entry {dlq_id} is not an open dead-letter entry (see `folio dlq list --all`)")
    console.print(f"entry {dlq_id} discarded: {why}")


# The alerting half's commands live in their own module.
from pipelines.cli_alerts import COMMANDS as _ALERT_COMMANDS

for _command in _ALERT_COMMANDS:
    main.add_command(_command)


if __name__ == "__main__":
    main()
