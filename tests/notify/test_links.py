"""Signed links in emails (pipelines/notify/links.py): made with itsdangerous, one salt per
purpose; links made the old way (a hand-made HMAC) still open until their own expiry."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time

import pytest

from pipelines.notify.links import KINDS, BadLink, make_token, read_token, url

SECRET = "a-test-link-secret-of-some-length"
DAY = 86400


@pytest.fixture(autouse=True)
def link_secret(monkeypatch):
    monkeypatch.setenv("FOLIO_LINK_SECRET", SECRET)


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def old_token(kind: str, item: int, subscriber: int, tenant: int, expires: int, n=None) -> str:
    """A link as Folio made them before itsdangerous: base64url JSON, `.`, HMAC-SHA256."""
    claims = {"k": kind, "i": item, "s": subscriber, "t": tenant, "e": expires}
    if n is not None:
        claims["n"] = n
    body = _b64(json.dumps(claims, separators=(",", ":")).encode())
    return f"{body}.{_b64(hmac.new(SECRET.encode(), body.encode(), hashlib.sha256).digest())}"


def test_a_new_link_names_what_it_opens_and_for_whom():
    now = time.time()
    link = read_token(make_token("lead", 12, 3, 1, notification_id=77))
    assert (link.kind, link.item_id, link.subscriber_id, link.tenant_id) == ("lead", 12, 3, 1)
    assert link.notification_id == 77
    assert link.expires == int(now + 30 * DAY)
    assert read_token(make_token("unsubscribe", 3, 3, 1)).notification_id is None


def test_a_new_link_expires_after_the_ttl():
    token = make_token("lead", 12, 3, 1, now=time.time() - 30 * DAY + 60)
    assert read_token(token).item_id == 12
    with pytest.raises(BadLink, match="expired"):
        read_token(token, now=time.time() + 61)
    with pytest.raises(BadLink, match="expired"):
        read_token(make_token("lead", 12, 3, 1, now=time.time() - 31 * DAY))


def test_a_link_made_the_old_way_opens_until_its_own_expiry_and_is_refused_after():
    expires = int(time.time()) + 5 * DAY
    token = old_token("lead", 12, 3, 1, expires, n=9)
    link = read_token(token)
    assert (link.kind, link.item_id, link.subscriber_id, link.tenant_id) == ("lead", 12, 3, 1)
    assert (link.notification_id, link.expires) == (9, expires)
    assert read_token(token, now=expires).item_id == 12  # its last second
    with pytest.raises(BadLink, match="expired"):
        read_token(token, now=expires + 1)
    with pytest.raises(BadLink, match="expired"):
        read_token(old_token("lead", 12, 3, 1, int(time.time()) - 1))
    # still its own purpose only, and still tamper-proof
    with pytest.raises(BadLink, match="not valid"):
        read_token(token, kinds=("unsubscribe",))
    with pytest.raises(BadLink, match="not valid"):
        read_token(old_token("lead", 13, 3, 1, expires).split(".")[0] + "." + token.split(".")[1])


def test_a_new_link_altered_in_any_one_character_is_refused():
    token = make_token("lead", 12, 3, 1, notification_id=77)
    assert not token.startswith("eyJ")  # not the old shape
    for i, char in enumerate(token):
        for other in {"A", "B", "-", "."} - {char}:
            altered = token[:i] + other + token[i + 1 :]
            with pytest.raises(BadLink, match="not valid"):
                read_token(altered)
    for cut in (token[:-1], token + "A", token.partition(".")[0], "", "."):
        with pytest.raises(BadLink, match="not valid"):
            read_token(cut)


def test_a_link_for_one_purpose_is_refused_for_another():
    for kind in KINDS:
        token = make_token(kind, 12, 3, 1)
        assert read_token(token, kinds=(kind,)).kind == kind
        for other in set(KINDS) - {kind}:
            with pytest.raises(BadLink, match="not valid"):
                read_token(token, kinds=(other,))
    # The payload is the same for every purpose: only the signature (its salt) differs.
    lead, unsubscribe = make_token("lead", 12, 3, 1), make_token("unsubscribe", 12, 3, 1)
    assert lead.split(".")[0] == unsubscribe.split(".")[0] and lead != unsubscribe
    assert read_token(unsubscribe).kind == "unsubscribe"  # what the pages check


def test_a_link_signed_with_another_secret_is_refused(monkeypatch):
    token = make_token("lead", 12, 3, 1)
    monkeypatch.setenv("FOLIO_LINK_SECRET", "another-secret-entirely-xxxxxxxx")
    with pytest.raises(BadLink, match="not valid"):
        read_token(token)


def test_links_stay_short(monkeypatch):
    monkeypatch.setenv("FOLIO_PUBLIC_BASE_URL", "https://folio.some-county-records.example.com")
    big = 2**31 - 1
    for kind in KINDS:
        link = url("c", make_token(kind, big, big, big, notification_id=big))
        assert len(link) < 200, link
