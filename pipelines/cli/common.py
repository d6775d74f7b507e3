"""What every `folio` command module shares: the console, failing with a message, dates, the
migrated product database."""

from __future__ import annotations

import sys
from datetime import date

import click
from rich.console import Console
from rich.table import Table


class _Console(Console):
    """A rich Console whose width is read each time it prints (COLUMNS, else the terminal):
    rich fixes COLUMNS at construction, and this one is made at import, so a later resize or
    a caller setting COLUMNS would not change it."""

    def __init__(self, **options):
        super().__init__(**options)
        self._width = self._height = None


console = _Console()


def table(*headers: str, whole: dict[str, int] | None = None, **options) -> Table:
    """A rich Table that stays readable at 80 columns: a long cell wraps (folding a long word)
    instead of being cut with an ellipsis, and each column named in `whole` (an id a script
    copies, a status) never wraps and is at least that wide."""
    t = Table(*headers, **options)
    for column in t.columns:
        column.overflow = "fold"
        if whole and column.header in whole:
            column.no_wrap, column.min_width = True, whole[column.header]
    return t


def fail(message: str) -> None:
    """Print a one-line error (no traceback) and exit 1."""
    console.print(f"[bold red]error:[/] {message}")
    sys.exit(1)


def parse_date(_ctx, _param, value):
    """click callback: YYYY-MM-DD → date, or a usage error saying the format."""
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a date; use YYYY-MM-DD") from None


def database_url() -> str:
    from pipelines.settings import get_settings

    return get_settings().resolved_database_url


def migrated_engine():
    """The product database, migrated to head first (commands never meet an old schema)."""
    from pipelines.db.engine import get_engine
    from pipelines.db.migrate import upgrade

    url = database_url()
    upgrade(url)
    return get_engine(url)


def tenant_or_fail(engine, slug: str) -> dict:
    from pipelines.accounts.tenants import SetupError, get_tenant

    try:
        return get_tenant(engine, slug)
    except SetupError as exc:
        fail(str(exc))


def json_option(fn):
    """`--json`: print the command's result as JSON (for scripts) instead of a table."""
    return click.option(
        "--json", "as_json", is_flag=True, help="Print JSON instead of a table (for scripts)."
    )(fn)


def emit_json(value) -> None:
    """One JSON document on stdout (dates and decimals as strings)."""
    import json

    click.echo(json.dumps(value, default=str))
