"""Bulk loading a polars frame into a table inside the caller's transaction.

PostgreSQL: one `COPY ... FROM STDIN (FORMAT csv)`. SQLite: batched `executemany`.
Both run on the caller's connection, so a failure rolls the whole load back.
"""

from __future__ import annotations

import io
import queue
import threading

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


class BulkWriter:
    """`bulk_insert`s in order on the caller's connection. On PostgreSQL they run on a second
    thread, so the server's COPY of one batch overlaps the caller preparing the next (the
    connection is used by that thread alone until `close`). A failed write is raised by the
    next `write` or by `close`; either way the caller's transaction rolls back."""

    def __init__(self, conn: Connection):
        self.conn = conn
        self._queue: queue.Queue = queue.Queue(maxsize=1)
        self._error: BaseException | None = None
        self._thread = None
        if conn.dialect.name == "postgresql":
            self._thread = threading.Thread(target=self._drain, name="bulk-writer", daemon=True)
            self._thread.start()

    def _drain(self) -> None:
        while (item := self._queue.get()) is not None:
            if self._error is None:
                try:
                    bulk_insert(self.conn, *item)
                except BaseException as exc:  # handed to the caller's thread
                    self._error = exc

    def _raise(self) -> None:
        if self._error is not None:
            raise self._error

    def write(self, table: Table, df: pl.DataFrame) -> None:
        self._raise()
        if self._thread is not None:
            self._queue.put((table, df))
        else:
            bulk_insert(self.conn, table, df)

    def close(self) -> None:
        if self._thread is not None:
            self._queue.put(None)
            self._thread.join()
            self._thread = None
        self._raise()

    def __enter__(self) -> BulkWriter:
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is None:
            self.close()
            return
        # The caller failed: skip what is queued (the transaction rolls back anyway) and let
        # the caller's exception, not a write's, be the one raised.
        self._error = self._error or exc
        if self._thread is not None:
            self._queue.put(None)
            self._thread.join()


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
