"""A lead alert says what an investor acts on: the owner, where they mail from, the estimated
equity and the kinds of distress stacked on the property; and it comes from the tenant."""

from datetime import date

from sqlalchemy import select, update

from pipelines import clock
from pipelines.db.engine import get_engine
from pipelines.db.schema import notifications, properties
from pipelines.leads.scoring import score_leads
from pipelines.notify.messages import build_messages
from pipelines.notify.queue import queue_email
from pipelines.settings import get_settings
from tests.lead_helpers import add_leads, add_property, daily
from tests.listing_helpers import tenant_with_subscribers

F = "3040120010010"


def test_a_lead_alert_carries_owner_mailing_equity_and_stacked_distress(db_url):
    tenant, (sub,), _ = tenant_with_subscribers(db_url, "acme", [{"lead_types": ["lien"]}])
    add_property(db_url, F)
    day = clock.today()
    lien, _ = add_leads(db_url, [("lien", 0, day, daily(day)), ("probate", 0, day, daily(day))])
    engine = get_engine(db_url)
    with engine.begin() as conn:
        conn.execute(
            update(properties)
            .where(properties.c.folio == F)
            .values(
                owner_mailing_city="NEW YORK",
                owner_mailing_state="NY",
                market_value=400_000,
                roll_sale_date=date(1990, 1, 1),
                roll_sale_price=100_000,
            )
        )
        score_leads(conn)
        queue_email(conn, tenant["id"], sub, "lead", lien)
        nid = conn.execute(
            select(notifications.c.id).where(notifications.c.item_kind == "lead")
        ).scalar_one()
    msg = build_messages(engine, [nid], get_settings())[nid]
    facts = "owner GARCIA MARIA · mails from NEW YORK, NY · equity ~100% · 2 kinds of distress"
    assert f"  {facts} on the property\n" in msg.text
    assert facts in msg.html
    assert msg.sender == '"Acme via Folio" <alerts@folio.local>'
