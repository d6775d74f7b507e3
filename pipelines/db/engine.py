"""Engines: one per database URL, SQLite tuned for a single-machine pipeline."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url


def redact(url: str) -> str:
    """The URL with any password hidden: safe for logs, metadata and the UI."""
    return make_url(url).render_as_string(hide_password=True)


def driver_url(url: str) -> str:
    """The URL with the driver Folio uses: a bare `postgresql://` (what every PostgreSQL user
    writes) means psycopg 3, the maintained driver; `+psycopg` and `+psycopg2` are kept."""
    parsed = make_url(url)
    if parsed.drivername == "postgresql":
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed.render_as_string(hide_password=False)


def get_engine(url: str) -> Engine:
    return _engine(driver_url(url))


@lru_cache(maxsize=16)
def _engine(url: str) -> Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": 60})

        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_conn, _record):  # WAL: readers (UI, CLI) never block the loader
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.close()

        return engine
    return create_engine(url, pool_pre_ping=True)


def ping(url: str) -> str | None:
    """None when the database answers `SELECT 1`; else the error's class name (never its text,
    which may carry the URL)."""
    try:
        with get_engine(url).connect() as conn:
            conn.exec_driver_sql("SELECT 1")
    except Exception as exc:  # noqa: BLE001 - reported, not raised
        return type(exc).__name__
    return None


# Tests and benchmarks drop every pooled engine (e.g. before dropping a database).
get_engine.cache_clear = _engine.cache_clear
