"""`folio db`: the product database's migrations."""

from __future__ import annotations

import click

from pipelines.cli.common import console, database_url


@click.group()
def db() -> None:
    """The product database (FOLIO_DATABASE_URL; SQLite under ./data by default)."""


@db.command("upgrade")
def db_upgrade() -> None:
    """Apply all migrations."""
    from pipelines.db.engine import redact
    from pipelines.db.migrate import current, upgrade

    url = database_url()
    upgrade(url)
    console.print(f"database {redact(url)} at revision {current(url)}")


@db.command("current")
def db_current() -> None:
    """Print the applied migration revision."""
    from pipelines.db.migrate import current

    console.print(current(database_url()) or "(none: run `folio db upgrade`)")
