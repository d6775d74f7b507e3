"""Dialect-aware INSERT ... ON CONFLICT helpers (SQLite and PostgreSQL share the syntax).

On PostgreSQL the statement gets a RETURNING clause: that is what makes SQLAlchemy batch
an executemany into multi-row VALUES pages ("insertmanyvalues") instead of psycopg2's one
round trip per row (measured: 10,000 listing upserts 2.7 s → see benchmarks/listings.py).
SQLite keeps plain executemany, which is in-process and fast.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import Connection, Table
from sqlalchemy.dialects import postgresql, sqlite


def _insert(conn: Connection, table: Table):
    return (postgresql if conn.dialect.name == "postgresql" else sqlite).insert(table)


def _run(conn: Connection, table: Table, rows: list[dict], finish: Callable) -> int:
    """`finish(insert)` adds the ON CONFLICT clause; returns the rows affected."""
    if not rows:
        return 0
    if conn.dialect.name != "postgresql":
        return conn.execute(finish(_insert(conn, table)), rows).rowcount
    key = next(iter(table.primary_key.columns))
    return len(conn.execute(finish(_insert(conn, table)).returning(key), rows).all())


def upsert(
    conn: Connection, table: Table, rows: list[dict], conflict_cols: list[str], update: list[str]
) -> None:
    """Insert rows; where the conflict key exists, overwrite the `update` columns."""
    _run(
        conn,
        table,
        rows,
        lambda stmt: stmt.on_conflict_do_update(
            index_elements=conflict_cols, set_={c: stmt.excluded[c] for c in update}
        ),
    )


def insert_ignore_rows(
    conn: Connection, table: Table, rows: list[dict], conflict_cols: list[str]
) -> int:
    """Insert rows, skipping those whose conflict key exists; returns how many were inserted."""
    return _run(
        conn, table, rows, lambda stmt: stmt.on_conflict_do_nothing(index_elements=conflict_cols)
    )
