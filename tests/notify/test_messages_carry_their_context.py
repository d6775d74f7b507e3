"""The outbox renders a report-ready, weekly or billing email from what its producer
snapshotted when it queued it: notify reads no report, ledger or engagement table."""

import ast
from pathlib import Path

import pytest
from sqlalchemy import delete, select

from pipelines.db.engine import get_engine
from pipelines.db.schema import notifications, report_requests, reports
from pipelines.notify.messages import build_messages
from pipelines.notify.queue import queue_email, queue_report_ready
from pipelines.settings import get_settings
from tests.listing_helpers import tenant_with_subscribers


def _id(engine, kind: str) -> int:
    with engine.connect() as conn:
        q = select(notifications.c.id).where(notifications.c.item_kind == kind)
        return conn.execute(q).scalar_one()


NOTIFY = Path(__file__).resolve().parents[2] / "pipelines" / "notify"
OTHER_DOMAINS = {"report_requests", "reports", "token_ledger", "token_accounts", "lead_events"}


def test_no_notify_module_names_another_domain_s_tables():
    for path in NOTIFY.glob("*.py"):
        names = {n.id for n in ast.walk(ast.parse(path.read_text())) if isinstance(n, ast.Name)}
        assert names & OTHER_DOMAINS == set(), path.name


def test_a_report_email_renders_from_its_snapshot_alone(sqlite_url):
    tenant, (sub,), _ = tenant_with_subscribers(sqlite_url, "acme", [{}])
    engine = get_engine(sqlite_url)
    report = {"id": 7, "kind": "listing", "format": "pdf", "report_id": 41, "bytes": 2048}
    with engine.begin() as conn:
        queue_report_ready(conn, tenant["id"], sub, 7, {**report, "sha256": "ab" * 32})
        # neither the request nor the report exists: the email needs neither
        conn.execute(delete(report_requests))
        conn.execute(delete(reports))
    [mail] = build_messages(engine, [_id(engine, "report")], get_settings()).values()
    assert "/r/" in mail.text and "pdf" in mail.text.lower()


def test_a_message_queued_without_its_snapshot_fails_clearly(sqlite_url):
    tenant, (sub,), _ = tenant_with_subscribers(sqlite_url, "acme", [{}])
    engine = get_engine(sqlite_url)
    with engine.begin() as conn:
        queue_email(conn, tenant["id"], sub, "receipt", 3)  # no context
    nid = _id(engine, "receipt")
    with pytest.raises(ValueError, match=rf"notification {nid} \(receipt\) has no context"):
        build_messages(engine, [nid], get_settings())
