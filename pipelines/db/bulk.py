"""Bulk loading a polars frame into a table inside the caller's transaction.

PostgreSQL: one `COPY ... FROM STDIN (FORMAT csv)`. SQLite: batched `executemany`.
Both run on the caller's connection, so a failure rolls the whole load back.
"""

from __future__ import annotations

import io

import polars as pl
from sqlalchemy import Connection, Table

from pipelines.settings import get_settings


def bulk_insert(conn: Connection, table: Table, df: pl.DataFrame) -> int:
    if df.height == 0:
        return 0
    cols = [c for c in df.columns if c in table.c]
    df = df.select(cols)
    if conn.dialect.name == "postgresql":
        return _copy(conn, table, df)
    batch = get_settings().sqlite_batch_rows
    stmt = table.insert()
    for start in range(0, df.height, batch):
        conn.execute(stmt, df.slice(start, batch).to_dicts())
    return df.height


def _copy(conn: Connection, table: Table, df: pl.DataFrame) -> int:
    # Nulls are written as unquoted empty fields, which COPY csv reads as NULL;
    # real empty strings never reach here (the parser turns "" into NULL).
    buf = io.BytesIO()
    df.write_csv(buf, include_header=False, null_value="", quote_style="necessary")
    buf.seek(0)
    cols = ", ".join(f'"{c}"' for c in df.columns)  # names come from our own Table, not input
    sql = f'COPY "{table.name}" ({cols}) FROM STDIN WITH (FORMAT csv)'
    cursor = conn.connection.dbapi_connection.cursor()
    try:
        if conn.dialect.driver == "psycopg2":
            cursor.copy_expert(sql, buf)
        else:  # psycopg 3
            with cursor.copy(sql) as copy:
                copy.write(buf.getvalue())
    finally:
        cursor.close()
    return df.height
