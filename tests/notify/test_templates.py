"""Email templates: both parts render for listings, county leads and welcomes; text from a
tenant's feed is escaped in HTML (a listing can never inject markup into a subscriber's mail)."""

from pipelines.accounts.criteria import Criteria
from pipelines.notify.render import render

SUB = {"email": "ann@acme.example", "name": "Ann"}
LINKS = {"unsubscribe": "http://h/u/tok", "pixel": "http://h/o/tok.gif", "items": []}


def test_listing_alert_escapes_feed_text_in_html():
    item = {
        "kind": "listing",
        "listing_type": "sale",
        "address": '1 <script>alert("x")</script> ST',
        "city": "MIAMI",
        "zip": "33125",
        "price": 200000.0,
        "score": 81,
        "roi": 7.8,
        "cap_rate": 0.078,
        "reasoning": "cap rate 7.8% & cheap",
        "link": "http://h/listings/1",
    }
    subject, text, html = render(
        "new_lead_alert", subscriber=SUB, tenant_name="Acme <Realty>", item=item, **LINKS
    )
    assert subject == 'New sale match: 1 <script>alert("x")</script> ST, MIAMI (score 81)'
    # the rule scorer's ROI is the cap rate (all cash): shown once
    assert "Price: $200,000" in text and "Investment score: 81/100 · cap rate 7.8%\n" in text
    assert "ROI" not in text and "ROI" not in html
    _, other, _ = render(
        "new_lead_alert", subscriber=SUB, tenant_name="A", item={**item, "roi": 9.5}, **LINKS
    )
    assert "Investment score: 81/100 · cap rate 7.8% · ROI 9.5%\n" in other
    assert "<script>" not in html and "&lt;script&gt;" in html and "Acme &lt;Realty&gt;" in html
    assert "cap rate 7.8% &amp; cheap" in html and '<a href="http://h/listings/1">' in html


def test_lead_alert_and_welcome():
    lead = {
        "kind": "lead",
        "lead_type": "probate",
        "address": None,
        "city": None,
        "zip": None,
        "folio": "3040120010010",
        "score": 88,
        "contact_name": "ESTATE OF A",
        "link": "http://h/leads/7",
    }
    subject, text, html = render(
        "new_lead_alert", subscriber=SUB, tenant_name="Acme", item=lead, **LINKS
    )
    assert subject == "New probate lead: 3040120010010 (score 88)"
    assert "address unknown" in text and "Contact: ESTATE OF A" in text
    assert "Unsubscribe: http://h/u/tok" in text and '<a href="http://h/u/tok">' in html
    assert '<img src="http://h/o/tok.gif" width="1" height="1"' in html
    criteria = Criteria(min_score=60, cities=["Miami"], zip_codes=["33125"], digest_only=True)
    subject, text, html = render(
        "welcome_email", subscriber=SUB, tenant_name="Acme", criteria=criteria, **LINKS
    )
    assert subject == "Welcome to Folio property alerts"
    assert "scores 60 or more in MIAMI (zip 33125)" in " ".join(text.split())
    assert "(daily digest only)" in text and html.startswith("<!doctype html>")
