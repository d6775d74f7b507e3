"""Every link in a lead email works for its recipient, through a real `folio serve`: the click
redirect, the lead page (with its lineage), the open image, the buttons, one-click
unsubscribe; altered and expired links get a 403 page with no data; opens and clicks count
once and move the lead score; the leads API shows a tenant only its own leads."""

import re
import time
from datetime import datetime
from email import message_from_bytes, policy
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import httpx
from sqlalchemy import select

from pipelines.alerts.match import match_leads
from pipelines.alerts.queue import queue_match_notifications
from pipelines.db.engine import get_engine
from pipelines.db.schema import lead_events, lead_scores, subscribers
from pipelines.leads.scoring import score_leads
from pipelines.notify.delivery import deliver_email
from pipelines.notify.email import FileOutbox
from pipelines.notify.links import make_token
from pipelines.settings import get_settings
from tests.lead_helpers import add_leads, add_property, daily
from tests.listing_helpers import tenant_with_subscribers
from tests.servers import folio_serve

CLICK = re.compile(r"https?://[^\s\"<>]+/c/[\w\-]+\.[\w\-]+")


def path(url: str) -> str:
    return urlsplit(url).path


def delivered_mail(url: str, tmp_path, to: str):
    engine = get_engine(url)
    with engine.begin() as conn:
        queue_match_notifications(conn)
    folder = tmp_path / "eml"
    deliver_email(engine, FileOutbox(folder))
    for eml in sorted(folder.glob("email_s*_lead_*.eml")):
        mail = message_from_bytes(eml.read_bytes(), policy=policy.default)
        if mail["To"] == to:
            return mail
    raise AssertionError(f"no lead email to {to}")


def events(url: str) -> list[tuple]:
    ev = lead_events.c
    with get_engine(url).connect() as conn:
        return conn.execute(
            select(ev.lead_id, ev.subscriber_id, ev.event).order_by(ev.event, ev.lead_id)
        ).all()


def test_email_links_open_for_their_recipient_and_count_once(sqlite_url, tmp_path):
    today = datetime.now(ZoneInfo(get_settings().timezone)).date()
    a, (a1,), key_a = tenant_with_subscribers(sqlite_url, "tenant-a", [{"lead_types": ["probate"]}])
    _, _, key_b = tenant_with_subscribers(sqlite_url, "tenant-b", [{"lead_types": ["foreclosure"]}])
    add_property(sqlite_url, "3040120010010")
    probate, foreclosure = add_leads(
        sqlite_url,
        [("probate", 80, today, daily(today)), ("foreclosure", 80, today, daily(today))],
    )
    engine = get_engine(sqlite_url)
    match_leads(engine, today=today)
    mail = delivered_mail(sqlite_url, tmp_path, "sub1@tenant-a.example")
    html = mail.get_body(("html",)).get_content()
    text = mail.get_body(("plain",)).get_content()
    click = CLICK.search(html).group(0)
    assert click in text  # the plain-text part carries the same link
    pixel = re.search(r"https?://[^\s\"<>]+/o/[\w\-.]+\.gif", html).group(0)
    unsubscribe = mail["List-Unsubscribe"].strip("<>")
    assert mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert unsubscribe in text

    with folio_serve(sqlite_url, tmp_path) as base, httpx.Client(base_url=base) as http:
        # The click is recorded, then the browser goes to the page (no API key anywhere).
        answer = http.get(path(click))
        assert answer.status_code == 303
        page_path = answer.headers["location"]
        assert page_path == path(click).replace("/c/", "/l/")
        http.get(path(click))  # a second click counts once
        page = http.get(page_path)
        assert page.status_code == 200
        assert "Probate lead" in page.text and "0010 MAIN ST" in page.text
        assert "GARCIA MARIA" in page.text  # the owner
        assert f"{daily(today)}, line 1" in page.text  # the lineage: source file and line
        for _ in range(2):
            image = http.get(path(pixel))
            assert image.status_code == 200 and image.headers["content-type"] == "image/gif"
        assert events(sqlite_url) == [(probate, a1, "clicked"), (probate, a1, "opened")]

        # An altered or expired link opens nothing.
        token = page_path.rsplit("/", 1)[1]
        tampered = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
        for bad in (tampered, token.replace(".", "x.", 1)):
            refused = http.get(f"/l/{bad}")
            assert refused.status_code == 403
            assert "not valid" in refused.text and "MAIN ST" not in refused.text
        expired = make_token("lead", probate, a1, a["id"], now=time.time() - 31 * 86400)
        refused = http.get(f"/l/{expired}")
        assert refused.status_code == 403 and "expired" in refused.text
        # Another tenant's lead through a link signed for a subscriber who never matched it.
        foreign = make_token("lead", foreclosure, a1, a["id"])
        assert http.get(f"/l/{foreign}").status_code == 404

        # The buttons.
        assert http.post(f"{page_path}/dismiss").status_code == 200
        assert (probate, a1, "dismissed") in events(sqlite_url)

        # The leads API: each tenant sees only the leads that matched its subscribers.
        mine = http.get("/leads", headers={"X-API-Key": key_a}).json()
        assert [lead["id"] for lead in mine["leads"]] == [probate]
        assert mine["leads"][0]["source"]["line"] == 1
        assert http.get(f"/leads/{foreclosure}", headers={"X-API-Key": key_a}).status_code == 404
        assert http.get(f"/leads/{foreclosure}", headers={"X-API-Key": key_b}).status_code == 200
        assert http.get("/leads").status_code == 401
        bad = http.get("/leads?type=castle&min_score=101", headers={"X-API-Key": key_a})
        assert bad.status_code == 422
        assert {e["loc"][-1] for e in bad.json()["detail"]} == {"type", "min_score"}

        # One-click unsubscribe, as a mail client sends it.
        gone = http.post(path(unsubscribe), content="List-Unsubscribe=One-Click")
        assert gone.status_code == 200 and "no more Folio emails" in gone.text
    with engine.connect() as conn:
        assert (
            conn.execute(
                select(subscribers.c.unsubscribed_at).where(subscribers.c.id == a1)
            ).scalar()
            is not None
        )
    # The nightly score counts the open (+1) and the click (+2) once each.
    with engine.begin() as conn:
        score_leads(conn, today=today)
    with engine.connect() as conn:
        bonus = conn.execute(
            select(lead_scores.c.engagement_bonus).where(lead_scores.c.lead_id == probate)
        ).scalar()
        untouched = conn.execute(
            select(lead_scores.c.engagement_bonus).where(lead_scores.c.lead_id == foreclosure)
        ).scalar()
    assert (bonus, untouched) == (3, 0)
    # Unsubscribed: a new probate lead reaches nobody at tenant A.
    (later,) = add_leads(sqlite_url, [("probate", 80, today, daily(today))])
    assert match_leads(engine, later - 1, later, today=today)["matches"] == 0
