"""Dialect-aware INSERT ... ON CONFLICT helpers (SQLite and PostgreSQL share the syntax)."""

from __future__ import annotations

from sqlalchemy import Connection, Table
from sqlalchemy.dialects import postgresql, sqlite


def _insert(conn: Connection, table: Table):
    return (postgresql if conn.dialect.name == "postgresql" else sqlite).insert(table)


def upsert(conn: Connection, table: Table, rows: list[dict], conflict_cols: list[str], update: list[str]) -> None:
    """Insert rows; where the conflict key exists, overwrite the `update` columns."""
    if not rows:
        return
    stmt = _insert(conn, table)
    stmt = stmt.on_conflict_do_update(index_elements=conflict_cols, set_={c: stmt.excluded[c] for c in update})
    conn.execute(stmt, rows)


def insert_ignore_rows(conn: Connection, table: Table, rows: list[dict], conflict_cols: list[str]) -> int:
    """Insert rows, skipping those whose conflict key exists; returns how many were inserted."""
    if not rows:
        return 0
    stmt = _insert(conn, table).on_conflict_do_nothing(index_elements=conflict_cols)
    return conn.execute(stmt, rows).rowcount
