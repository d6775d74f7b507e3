"""Dialect-aware INSERT ... ON CONFLICT helpers (SQLite and PostgreSQL share the syntax)."""

from __future__ import annotations

from sqlalchemy import Connection, Table
from sqlalchemy.dialects import postgresql, sqlite


def _insert(conn: Connection, table: Table):
    return (postgresql if conn.dialect.name == "postgresql" else sqlite).insert(table)


def insert_ignore(conn: Connection, table: Table, rows: list[dict], conflict_cols: list[str]) -> int:
    """Insert rows, skipping those whose conflict key exists; returns rows inserted."""
    if not rows:
        return 0
    stmt = _insert(conn, table).on_conflict_do_nothing(index_elements=conflict_cols)
    return conn.execute(stmt, rows).rowcount
