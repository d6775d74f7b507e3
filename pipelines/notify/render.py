"""Templates (Jinja2) to subject, plain-text and HTML parts. Only the HTML part is autoescaped
(a subject is a header, not markup): listing fields come from tenants' feeds and must never
become markup in a subscriber's mail."""

from __future__ import annotations

from functools import cache, lru_cache
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

TEMPLATES = Path(__file__).with_name("templates")
SUBJECTS = {
    "new_lead_alert": "{% if item.kind == 'listing' %}New {{ item.listing_type }} match: {{ "
    "item.address }}, "
    "{{ item.city }} (score {{ item.score }}){% else %}New {{ item.lead_type | replace('_', ' ') }}"
    " lead: {{ item.address or item.folio }} (score {{ item.score }}){% endif %}",
    "lead_alert_group": "{{ total }} new matches for your Folio alert",
    "daily_digest": "Your Folio digest: {{ items | length }} new "
    "lead{{ 's' if items | length != 1 }}",
    "weekly_report": "Your Folio week from {{ summary.week }}: {{ summary.matches }} matches",
    "welcome_email": "Welcome to Folio property alerts",
    "payment_receipt": "Folio receipt: {{ '{:,}'.format(grant.tokens) }} tokens added",
    "expiring_trial": "Your Folio trial ends on {{ grant.expires_at }}",
    "tokens_expiring": "{{ '{:,}'.format(grant.left) }} Folio tokens expire on "
    "{{ grant.expires_at }}",
    "report_ready": "Your Folio {{ 'listing report' if report.kind == 'listing' else 'leads "
    "export' }} is ready ({{ report.format | upper }})",
    "outreach_refused": "{{ refusals.total }} Folio message{{ 's were' if refusals.total != 1 "
    "else ' was' }} not sent on {{ refusals.day }}",
}


@lru_cache(maxsize=1)
def _env() -> Environment:
    return Environment(
        loader=FileSystemLoader(TEMPLATES),
        undefined=StrictUndefined,
        autoescape=select_autoescape(
            enabled_extensions=("html.j2",), default_for_string=False, default=False
        ),
        trim_blocks=False,
        keep_trailing_newline=True,
    )


@cache
def _subject(template: str):
    return _env().from_string(SUBJECTS[template])  # compiled once, not per message


def render(template: str, **context) -> tuple[str, str, str]:
    """(subject, text, html) for a template name and its context."""
    env = _env()
    subject = _subject(template).render(**context)
    text = env.get_template(f"{template}.txt.j2").render(**context)
    html = env.get_template(f"{template}.html.j2").render(**context)
    return " ".join(subject.split()), text, html
