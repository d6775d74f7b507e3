"""The pages email links open, for the person the email went to, without an API key.

- `GET /l/<token>`: the lead or listing page (address, owner, type, score with breakdown,
  the source document and file line), with "Contacted" / "Not interested" buttons
  (`POST /l/<token>/contacted`, `POST /l/<token>/dismiss`);
- `GET /c/<token>`: records the click, then sends the browser to the page;
- `GET /o/<token>.gif`: the open-tracking image; records the open, always answers the image;
- `GET /u/<token>` asks, `POST /u/<token>` unsubscribes (also the one-click POST that mail
  clients send for `List-Unsubscribe-Post`).

A token that is altered or expired gets a 403 page that says so and shows no data.
"""

from __future__ import annotations

import base64
from functools import cache
from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from jinja2 import Environment, FileSystemLoader, select_autoescape

from pipelines.alerts.engagement import record, record_open, unsubscribe
from pipelines.http.auth import engine
from pipelines.leads.views import lead_view, subscriber_events
from pipelines.listings.views import listing_view
from pipelines.notify.links import BadLink, Link, read_token

# Outside /openapi.json (so out of /docs): these are not API calls but the pages a person's
# browser opens from an email. The credential is the signed token in the path, not a key a
# client could send, and the answers are HTML, a redirect and an image for that browser.
router = APIRouter(include_in_schema=False)
GIF = base64.b64decode("R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7")
PAGE_KINDS = ("lead", "listing")


@cache
def _page():
    env = Environment(
        loader=FileSystemLoader(Path(__file__).with_name("templates")),
        autoescape=select_autoescape(enabled_extensions=("html.j2",)),
    )
    return env.get_template("page.html.j2")


def html(status: int = 200, **context) -> HTMLResponse:
    context.setdefault("done", set())
    return HTMLResponse(_page().render(**context), status_code=status)


def _link(token: str, kinds: tuple[str, ...]) -> Link | HTMLResponse:
    try:
        link = read_token(token)
    except BadLink as exc:
        return html(403, title="Link not valid", error=str(exc))
    if link.kind not in kinds:
        return html(403, title="Link not valid", error="this link does not open a page")
    return link


def _item_page(link: Link, token: str, notice: str | None = None) -> HTMLResponse:
    done = subscriber_events(engine(), link.kind, link.item_id, link.subscriber_id)
    if link.kind == "lead":
        lead = lead_view(engine(), link.item_id, link.tenant_id)
        if lead is None:
            return html(404, title="Lead not found", error="this lead is no longer available")
        title = f"{lead['lead_type'].replace('_', ' ').capitalize()} lead"
        return html(title=title, lead=lead, notice=notice, done=done, actions=f"/l/{token}")
    listing = listing_view(engine(), link.tenant_id, link.item_id)
    if listing is None:
        return html(404, title="Listing not found", error="this listing is no longer available")
    title = f"{listing['listing_type'].capitalize()} listing"
    return html(title=title, listing=listing, notice=notice, done=done, actions=f"/l/{token}")


@router.get("/l/{token}", response_class=HTMLResponse)
def lead_page(token: str):
    link = _link(token, PAGE_KINDS)
    if isinstance(link, HTMLResponse):
        return link
    return _item_page(link, token)


@router.post("/l/{token}/{action}", response_class=HTMLResponse)
def lead_action(token: str, action: str):
    link = _link(token, PAGE_KINDS)
    if isinstance(link, HTMLResponse):
        return link
    event = {"contacted": "contacted", "dismiss": "dismissed"}.get(action)
    if event is None:
        return html(404, title="Not found", error=f"no action {action!r}")
    record(engine(), link, event)
    notice = {
        "contacted": "Marked as contacted.",
        "dismissed": "Marked not interested: it will not appear in your digests.",
    }[event]
    return _item_page(link, token, notice)


@router.get("/c/{token}")
def click(token: str):
    link = _link(token, PAGE_KINDS)
    if isinstance(link, HTMLResponse):
        return link
    record(engine(), link, "clicked")
    return RedirectResponse(f"/l/{token}", status_code=303)


@router.get("/o/{token}.gif")
def opened(token: str) -> Response:
    try:
        link = read_token(token)
        if link.kind == "open":
            record_open(engine(), link)
    except BadLink:
        pass  # an image is always answered; a bad token records nothing
    return Response(GIF, media_type="image/gif", headers={"Cache-Control": "no-store"})


@router.get("/u/{token}", response_class=HTMLResponse)
def unsubscribe_page(token: str):
    link = _link(token, ("unsubscribe",))
    if isinstance(link, HTMLResponse):
        return link
    return html(
        title="Unsubscribe",
        notice="Stop every Folio alert, digest and report to this address?",
        unsubscribe=True,
    )


@router.post("/u/{token}", response_class=HTMLResponse)
def unsubscribe_now(token: str):
    link = _link(token, ("unsubscribe",))
    if isinstance(link, HTMLResponse):
        return link
    unsubscribe(engine(), link)
    return html(title="Unsubscribed", notice="Done: you will receive no more Folio emails.")
