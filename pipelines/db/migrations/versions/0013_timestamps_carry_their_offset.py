"""timestamps carry their offset on SQLite

Revision ID: 0013
Revises: 0012

Every timestamp column is now one type on both backends (pipelines/db/types.py): on SQLite it
is UTC text ending in `+00:00`. Rows written before kept UTC without the suffix; this adds it,
so text comparisons in SQL see one format. PostgreSQL's timestamptz needs nothing.
"""

from alembic import op
import sqlalchemy as sa


revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def _timestamp_columns(conn):
    inspector = sa.inspect(conn)
    for table in inspector.get_table_names():
        if table == "alembic_version":
            continue
        for col in inspector.get_columns(table):
            if isinstance(col["type"], sa.DateTime):
                yield table, col["name"]


def upgrade() -> None:
    conn = op.get_bind()
    if conn.dialect.name != "sqlite":
        return
    for table, column in _timestamp_columns(conn):
        # names come from the database's own catalogue, not from input
        conn.execute(
            sa.text(
                f'UPDATE "{table}" SET "{column}" = "{column}" || \'+00:00\' '
                f'WHERE "{column}" IS NOT NULL AND "{column}" NOT LIKE \'%+00:00\''
            )
        )


def downgrade() -> None:
    conn = op.get_bind()
    if conn.dialect.name != "sqlite":
        return
    for table, column in _timestamp_columns(conn):
        conn.execute(
            sa.text(
                f'UPDATE "{table}" SET "{column}" = substr("{column}", 1, length("{column}") - 6) '
                f'WHERE "{column}" LIKE \'%+00:00\''
            )
        )
