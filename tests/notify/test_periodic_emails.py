"""The emails built from the outbox, as sent: a listing alert whose link opens the listing page,
a grouped alert, the daily digest and the weekly report, each with one-click unsubscribe."""

import re
from datetime import date, datetime, timezone
from urllib.parse import urlsplit

from dagster import DagsterInstance, materialize
from fastapi.testclient import TestClient
from sqlalchemy import func, select, update

from assets.digests import weekly_report
from assets.reports import weekly_subscriber_report
from pipelines.alerts.digest import queue_digests
from pipelines.alerts.match import match_leads, match_listings
from pipelines.alerts.queue import queue_match_notifications
from pipelines.alerts.weekly import queue_weekly_reports
from pipelines.db.engine import get_engine
from pipelines.db.schema import alert_matches, notifications
from pipelines.http.app import app
from pipelines.listings.scoring import RuleScorer, score_listings
from pipelines.notify.messages import build_messages
from pipelines.settings import get_settings
from resources.database import FolioDatabase
from tests.lead_helpers import add_leads, add_property, daily
from tests.listing_helpers import add_listings, listing, tenant_with_subscribers

CLICK = re.compile(r"https?://[^\s\"<>]+/c/[\w\-]+\.[\w\-]+")


def messages(url: str, kind: str):
    engine = get_engine(url)
    with engine.connect() as conn:
        ids = list(
            conn.execute(
                select(notifications.c.id).where(notifications.c.item_kind == kind)
            ).scalars()
        )
    built = build_messages(engine, ids, get_settings())
    return [built[i] for i in ids]


def test_listing_alert_link_opens_the_listing_page(sqlite_url, monkeypatch):
    monkeypatch.setenv("FOLIO_DATABASE_URL", sqlite_url)
    tenant, _, _ = tenant_with_subscribers(sqlite_url, "acme", [{"min_score": 50}])
    add_listings(sqlite_url, tenant, [listing("L1")])
    engine = get_engine(sqlite_url)
    score_listings(engine, RuleScorer(), get_settings())
    match_listings(engine)
    with engine.begin() as conn:
        assert queue_match_notifications(conn)["queued"] == 1
    [msg] = messages(sqlite_url, "listing")
    assert msg.headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    page = TestClient(app).get(urlsplit(CLICK.search(msg.html).group(0)).path)
    assert page.status_code == 200
    assert "Sale listing" in page.text and "$200,000" in page.text and "cap rate" in page.text


def twelve_liens_grouped(url: str, day: date, subscribers: list[dict]):
    """Twelve lien leads of `day` (scores 60–71) matched at once: the first subscriber's
    twelve immediate alerts become one group email."""
    tenant_with_subscribers(url, "acme", subscribers)
    add_property(url, "3040120010010")
    add_leads(url, [("lien", 60 + n, day, daily(day)) for n in range(12)])
    engine = get_engine(url)
    match_leads(engine, today=day)
    with engine.begin() as conn:
        assert queue_match_notifications(conn)["grouped"] == 1
    return engine


def test_group_digest_and_weekly_emails(sqlite_url):
    day = date(2026, 11, 20)  # a Friday; its week starts Monday the 16th
    engine = twelve_liens_grouped(
        sqlite_url,
        day,
        [
            {"lead_types": ["lien"], "min_score": 0},
            {"lead_types": ["lien"], "digest_only": True, "min_score": 0},
        ],
    )
    with engine.begin() as conn:
        conn.execute(  # matched on the Friday of that week
            update(alert_matches).values(matched_at=datetime(2026, 11, 20, 12, tzinfo=timezone.utc))
        )
    [group] = messages(sqlite_url, "group")
    assert (
        group.subject == "12 new matches for your Folio alert" and group.to == "sub1@acme.example"
    )
    assert len(CLICK.findall(group.text)) == 12
    assert "more scored lower" not in group.text
    assert queue_digests(engine, day) == {"digests": 1, "items": 12}
    [digest_mail] = messages(sqlite_url, "digest")
    assert digest_mail.subject == "Your Folio digest: 12 new leads"
    scores = [int(s) for s in re.findall(r"score (\d+)\n", digest_mail.text)]
    assert scores == sorted(scores, reverse=True) == list(range(71, 59, -1))
    assert queue_weekly_reports(engine, date(2026, 11, 16)) == {"subscribers": 2, "queued": 2}
    assert queue_weekly_reports(engine, date(2026, 11, 16))["queued"] == 0  # once per week
    weekly = {m.to: m for m in messages(sqlite_url, "weekly")}
    report = weekly["sub1@acme.example"]
    assert report.subject == "Your Folio week from 2026-11-16: 12 matches"
    assert "By type:\n  lien: 12" in report.text and "  33125: 12" in report.text
    assert len(CLICK.findall(report.text)) == 10  # the top 10
    assert "List-Unsubscribe" in report.headers
    assert "The week as a PDF" not in report.text  # not built yet


def test_a_large_group_email_lists_the_highest_scored_and_counts_the_rest(sqlite_url, monkeypatch):
    monkeypatch.setenv("FOLIO_GROUP_EMAIL_ITEMS", "5")
    engine = twelve_liens_grouped(
        sqlite_url, date(2026, 11, 20), [{"lead_types": ["lien"], "min_score": 0}]
    )
    [group] = messages(sqlite_url, "group")
    assert group.subject == "12 new matches for your Folio alert"
    assert "the 5 with the highest scores are below (7 more scored lower)" in group.text
    assert "7 more\nscored lower" in group.html
    assert len(CLICK.findall(group.text)) == 5
    scores = [int(s) for s in re.findall(r"score (\d+)\n", group.text)]
    assert scores == [71, 70, 69, 68, 67]
    with engine.connect() as conn:  # all twelve are carried by it: none is sent again
        carried = conn.execute(
            select(func.count()).where(alert_matches.c.notification_id.is_not(None))
        ).scalar()
    assert carried == 12


def test_weekly_email_links_the_tenants_weekly_pdf(sqlite_url, monkeypatch, tmp_path, poppler):
    monkeypatch.setenv("FOLIO_DATABASE_URL", sqlite_url)
    day = date(2026, 11, 18)
    _, (sub,), _ = tenant_with_subscribers(sqlite_url, "acme", [{"lead_types": ["lien"]}])
    add_property(sqlite_url, "3040120010010")
    add_leads(sqlite_url, [("lien", 80, day, daily(day))] * 2)
    engine = get_engine(sqlite_url)
    match_leads(engine, today=day)
    with engine.begin() as conn:
        conn.execute(
            update(alert_matches).values(matched_at=datetime(2026, 11, 18, 12, tzinfo=timezone.utc))
        )
    # The weekly_report_emails job: the PDFs, then the emails that link them.
    with DagsterInstance.ephemeral() as instance:
        result = materialize(
            [weekly_subscriber_report, weekly_report],
            partition_key="2026-11-16",
            resources={"database": FolioDatabase(url=sqlite_url)},
            instance=instance,
        )
    assert result.success
    [mail] = messages(sqlite_url, "weekly")
    link = re.search(r"The week as a PDF: (\S+)", mail.text).group(1)
    pdf = TestClient(app).get(urlsplit(link).path)
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    text = poppler(pdf.content, tmp_path)
    assert "Acme: the week from 2026-11-16" in text
    assert re.search(r"sub1@acme.example\s+2\s+0\s+0\s+0", text), text
