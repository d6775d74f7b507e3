"""Migration 0018 moves the four per-channel attempt logs into `delivery_attempts`, in the
order they happened, and leaves their names as views; a downgrade puts them back."""

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import create_engine, text

from pipelines.db.migrate import downgrade, upgrade

T0 = datetime(2026, 11, 30, 12, tzinfo=timezone.utc)
OLD_ROWS = [  # table, to, status, minutes after T0, duration
    ("email_logs", "a@example.com", "sent", 3, None),
    ("sms_logs", "+13055550100", "retrying", 1, None),
    ("sms_logs", "+13055550100", "sent", 2, None),
    ("voice_call_logs", "+13055550101", "completed", 4, 37),
    ("webhook_logs", "https://hooks.example/x", "failed", 5, None),
]


def _url(request, backend):
    return (
        request.getfixturevalue("pg_database")()
        if backend == "postgres"
        else (f"sqlite:///{request.getfixturevalue('tmp_path') / 'old.db'}")
    )


@pytest.mark.parametrize(
    "backend", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def test_old_attempt_logs_move_in_order_and_their_names_stay_readable(backend, request):
    url = _url(request, backend)
    upgrade(url, "0017")
    engine = create_engine(url)
    with engine.begin() as conn:
        for table, to, status, minutes, duration in OLD_ROWS:
            cols = "to_address, template, status, attempt, created_at"
            values = {"to": to, "status": status, "at": T0 + timedelta(minutes=minutes)}
            if duration is not None:
                cols += ", duration_seconds"
                values["d"] = duration
            conn.execute(
                text(
                    f"INSERT INTO {table} ({cols}) VALUES "
                    f"(:to, 't', :status, 1, :at{', :d' if duration is not None else ''})"
                ),
                values,
            )
    upgrade(url)
    with engine.connect() as conn:
        moved = conn.execute(
            text("SELECT id, channel, status, duration_seconds FROM delivery_attempts ORDER BY id")
        ).all()
        assert [tuple(r) for r in moved] == [
            (1, "sms", "retrying", None),
            (2, "sms", "sent", None),
            (3, "email", "sent", None),
            (4, "voice", "completed", 37),
            (5, "webhook", "failed", None),
        ]
        assert conn.execute(text("SELECT id, status FROM sms_logs ORDER BY id")).all() == [
            (1, "retrying"),
            (2, "sent"),
        ]
        assert conn.execute(text("SELECT duration_seconds FROM voice_call_logs")).all() == [(37,)]
    downgrade(url, "0017")
    with engine.connect() as conn:
        assert conn.execute(text("SELECT status FROM sms_logs ORDER BY id")).scalars().all() == [
            "retrying",
            "sent",
        ]
        assert conn.execute(text("SELECT count(*) FROM webhook_logs")).scalar_one() == 1
    engine.dispose()
