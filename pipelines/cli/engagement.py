"""The demo's reader: open a sent email from the file outbox, load its tracking image and follow
its first lead link through `folio serve` (started here on a free port), as a mail client and
a browser would."""

from __future__ import annotations

import re
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from dataclasses import dataclass
from email import message_from_bytes, policy
from urllib.parse import urlsplit

from sqlalchemy import select

from pipelines.db.schema import leads, notifications
from pipelines.notify.email import email_outbox_dir
from pipelines.notify.links import read_token

CLICK = re.compile(r"https?://[^\s\"'<>]+/c/([A-Za-z0-9_\-]+\.[A-Za-z0-9_\-]+)")
PIXEL = re.compile(r"https?://[^\s\"'<>]+/o/[A-Za-z0-9_\-.]+\.gif")


@dataclass
class Followed:
    to: str
    url: str
    status: int
    lead_id: int
    score_before: float

    def score_now(self, engine) -> float:
        with engine.connect() as conn:
            return conn.execute(select(leads.c.score).where(leads.c.id == self.lead_id)).scalar()


def _path(url: str) -> str:
    return urlsplit(url).path


@contextmanager
def local_server():
    """`folio serve` on a free local port for the duration; yields its base URL."""
    import httpx

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen(
        [sys.executable, "-m", "pipelines.cli", "serve", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.time() + 60
        while time.time() < deadline:
            try:
                httpx.get(f"{base}/health", timeout=2)
                break
            except httpx.TransportError:
                time.sleep(0.3)
        with httpx.Client(base_url=base, timeout=30) as client:
            yield client
    finally:
        proc.terminate()
        proc.wait(10)


def follow_first_link(engine) -> Followed | None:
    """The first sent email carrying a lead whose score can still rise: its image loaded, its
    first such lead link followed."""
    n = notifications.c
    with engine.connect() as conn:
        sent = conn.execute(
            select(n.idempotency_key)
            .where(n.state == "sent", n.item_kind.in_(("lead", "group", "digest")))
            .order_by(n.id)
        ).scalars()
        keys = list(sent)
    with local_server() as client:
        return _follow(engine, client, keys)


def _follow(engine, client, keys: list[str]) -> Followed | None:
    for key in keys:
        eml = email_outbox_dir() / f"{re.sub(r'[^A-Za-z0-9_.-]', '_', key)}.eml"
        if not eml.exists():
            continue
        mail = message_from_bytes(eml.read_bytes(), policy=policy.default)
        html = mail.get_body(("html",)).get_content()
        for found in CLICK.finditer(html):
            url, link = found.group(0), read_token(found.group(1))
            if link.kind != "lead":
                continue
            before = Followed(mail["To"], "", 0, link.item_id, 0.0).score_now(engine)
            if before > 90:  # the engagement bonus could not show under the 100 cap
                continue
            pixel = PIXEL.search(html)
            if pixel:
                client.get(_path(pixel.group(0)))
            page = client.get(_path(url), follow_redirects=True)
            return Followed(mail["To"], url, page.status_code, link.item_id, before)
    return None


def count_sent(engine, template: str) -> int:
    from sqlalchemy import func

    n = notifications.c
    with engine.connect() as conn:
        return conn.execute(
            select(func.count()).where(n.template == template, n.state == "sent")
        ).scalar()


def best_listing(engine, tenant_id: int) -> int:
    """The tenant's highest-scoring listing (ties: the lowest id)."""
    from pipelines.db.schema import listing_scores

    ls = listing_scores.c
    with engine.connect() as conn:
        return conn.execute(
            select(ls.listing_id)
            .where(ls.tenant_id == tenant_id)
            .order_by(ls.score.desc(), ls.listing_id)
            .limit(1)
        ).scalar_one()
