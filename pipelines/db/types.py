"""Column types shared by every domain's tables."""

from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import DateTime
from sqlalchemy.dialects import sqlite
from sqlalchemy.types import TypeDecorator

# On SQLite an instant is text in UTC that names its offset, so a reader of the file (or of a
# backup) never has to guess the zone; older rows without the suffix read back the same.
_SQLITE_FORMAT = (
    "%(year)04d-%(month)02d-%(day)02d %(hour)02d:%(minute)02d:%(second)02d.%(microsecond)06d+00:00"
)
_SQLITE_PATTERN = r"(\d+)-(\d+)-(\d+) (\d+):(\d+):(\d+)(?:\.(\d{6}))?(?:\+00:00)?$"


class Timestamp(TypeDecorator):
    """An instant, zone-aware on both backends: `timestamptz` on PostgreSQL, UTC text with
    its `+00:00` on SQLite. Values must be aware (a naive one is refused: its zone would be a
    guess); they read back as aware UTC datetimes."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def load_dialect_impl(self, dialect):
        if dialect.name == "sqlite":
            return dialect.type_descriptor(
                sqlite.DATETIME(storage_format=_SQLITE_FORMAT, regexp=_SQLITE_PATTERN)
            )
        return dialect.type_descriptor(DateTime(timezone=True))

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if not isinstance(value, datetime):
            raise TypeError(f"a timestamp must be a datetime, not {type(value).__name__}")
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value.isoformat()}: give it a zone")
        return value.astimezone(timezone.utc)

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc)
