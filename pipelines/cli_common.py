"""What every `folio` command module shares: the console, failing with a message, the
migrated product database."""

from __future__ import annotations

import sys

from rich.console import Console

console = Console()


def fail(message: str) -> None:
    """Print a one-line error (no traceback) and exit 1."""
    console.print(f"[bold red]error:[/] {message}")
    sys.exit(1)


def migrated_engine():
    """The product database, migrated to head first (commands never meet an old schema)."""
    from pipelines.settings import get_settings
    from pipelines.store.db import get_engine
    from pipelines.store.migrate import upgrade

    url = get_settings().resolved_database_url
    upgrade(url)
    return get_engine(url)
