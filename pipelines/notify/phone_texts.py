"""What an SMS says, what a call says and what a webhook carries, per template.

SMS and calls are short plain text; every SMS ends with the opt-out words carriers expect.
A verification SMS (item kind `verify`) carries its code, read from the sealed copy
its row keeps until now and erased here (pipelines/notify/verify_codes.py).
"""

from __future__ import annotations

from sqlalchemy import Connection, select, update

from pipelines import clock
from pipelines.db.schema import outreach_requests, subscribers, tenants
from pipelines.db.schema.accounts import phone_verifications
from pipelines.notify.messages import load_items
from pipelines.notify.verify_codes import ITEM_KIND, TTL_MINUTES, unseal

SMS_FOOTER = " Reply STOP to opt out."
TEMPLATES = {
    # to a subscriber, about a hot lead (alerts)
    "urgent_lead": "Folio hot lead: {lead_type} at {address} (score {score}). {page}",
    # webhooks: one line (what Slack shows), the JSON payload carries the fields
    "new_lead_alert": "New {lead_type} lead at {address} (score {score}): {page}",
    "new_listing_alert": "New {listing_type} listing match at {address}, {city} "
    "(score {score}): {page}",
    # to a subscriber, to confirm their number (POST /verify)
    "verification": "Folio: your verification code is {code}. It expires in {minutes} "
    "minutes. Do not share it.",
    # the same, when the verification ended before its SMS could go (no code left to send)
    "verification_ended": "Folio: the phone verification you asked for has ended. Ask for a "
    "new code.",
    # to a lead's phone, on a subscriber's behalf (outreach)
    "lead_intro": "Hello{name_part}, this is {sender} of {tenant}. We help owners at "
    "{address}. May we call you?",
    "lead_call": "Hello{name_part}. This is {sender} of {tenant}, calling about the property "
    "at {address}. Please call us back at your convenience. Goodbye.",
}
# What POST /outreach may send. A verification code is not outreach: POST /verify sends one.
OUTREACH_TEMPLATES = {"sms": ("lead_intro",), "voice": ("lead_call",)}


class _Blank(dict):
    def __missing__(self, key):
        return ""


def _lead(conn: Connection, lead_id: int | None, who: tuple) -> dict:
    if lead_id is None:
        return {}
    items = load_items(conn, [("lead", lead_id)], who)
    return items[0] if items else {}


def _take_code(conn: Connection, verification_id: int, tenant_id: int) -> str | None:
    """The code of a verification still waiting for it, erased from its row as it is read
    (inside the transaction that renders the SMS); None when it ended or expired first."""
    v = phone_verifications.c
    found = conn.execute(
        select(v.salt, v.sealed_code, v.state, v.expires_at).where(
            v.id == verification_id, v.tenant_id == tenant_id
        )
    ).first()
    if found is None or found.sealed_code is None:
        return None
    conn.execute(
        update(phone_verifications).where(v.id == verification_id).values(sealed_code=None)
    )
    if found.state != "pending" or found.expires_at <= clock.now():
        return None
    return unseal(found.salt, found.sealed_code)


def render(conn: Connection, row) -> tuple[str, dict]:
    """(text, webhook payload) for one outbox row."""
    who = (row.subscriber_id, row.tenant_id, row.id)
    ctx: dict = {}
    if row.item_kind == "outreach":
        req = conn.execute(
            select(outreach_requests).where(
                outreach_requests.c.id == row.item_id,
                outreach_requests.c.tenant_id == row.tenant_id,
            )
        ).one()
        ctx.update(_lead(conn, req.lead_id, who))
    elif row.item_kind == ITEM_KIND:
        code = _take_code(conn, row.item_id, row.tenant_id)
        ctx.update(code=code, minutes=TTL_MINUTES)
    elif row.item_kind in ("lead", "listing"):
        found = load_items(conn, [(row.item_kind, row.item_id)], who)
        ctx.update(found[0] if found else {})
    names = conn.execute(
        select(subscribers.c.name, subscribers.c.email, tenants.c.name.label("tenant"))
        .join(tenants, tenants.c.id == subscribers.c.tenant_id)
        .where(subscribers.c.id == row.subscriber_id, subscribers.c.tenant_id == row.tenant_id)
    ).one()
    ctx["sender"] = names.name or names.email
    ctx["tenant"] = names.tenant
    ctx["name_part"] = f" {ctx['contact_name']}" if ctx.get("contact_name") else ""
    ctx.setdefault("address", ctx.get("folio") or "the property")
    template = "new_listing_alert" if row.item_kind == "listing" else row.template
    if row.item_kind == ITEM_KIND and not ctx["code"]:
        template = "verification_ended"
    text = TEMPLATES[template].format_map(_Blank(ctx))
    if row.channel == "sms":
        text += SMS_FOOTER
    payload = {
        "event": row.template,
        "notification_id": row.id,
        "item": {"kind": row.item_kind, "id": row.item_id},
        "lead": {
            k: ctx.get(k) for k in ("id", "lead_type", "folio", "score", "address", "city", "zip")
        }
        if ctx.get("id")
        else None,
        "text": text,
    }
    return text, payload
