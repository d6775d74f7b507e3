"""The two outbound signature schemes, each by its name, on known vectors: their wire formats
are what receivers verify (docs/operations.md#signatures)."""

from __future__ import annotations

import hashlib
import hmac

from pipelines.signing import (
    HEADER,
    sign_admin_alert,
    sign_subscriber_webhook,
    verify_admin_alert,
    verify_subscriber_webhook,
)

BODY = b'{"event":"new_lead_alert"}'
T = 1_790_000_000


def test_the_subscriber_webhook_scheme_signs_the_time_and_the_body():
    mac = hmac.new(b"tenant-secret", b"1790000000." + BODY, hashlib.sha256).hexdigest()
    assert sign_subscriber_webhook("tenant-secret", T, BODY) == f"t=1790000000,v1={mac}"
    header = sign_subscriber_webhook("tenant-secret", T, BODY)
    assert verify_subscriber_webhook("tenant-secret", header, BODY, now=T + 300)
    assert not verify_subscriber_webhook("tenant-secret", header, BODY, now=T + 301)  # replayed
    assert not verify_subscriber_webhook("tenant-secret", header, BODY + b" ", now=T)
    assert not verify_subscriber_webhook("other-secret", header, BODY, now=T)
    # the same signature under a fresh time is refused: the time is inside the signed text
    forged = header.replace("t=1790000000", f"t={T + 3600}")
    assert not verify_subscriber_webhook("tenant-secret", forged, BODY, now=T + 3600)
    assert not verify_subscriber_webhook("tenant-secret", None, BODY, now=T)
    assert not verify_subscriber_webhook("tenant-secret", "t=x,v1=00", BODY, now=T)


def test_the_admin_alert_scheme_is_the_bare_hex_hmac_of_the_body():
    mac = hmac.new(b"admin-secret", BODY, hashlib.sha256).hexdigest()
    assert sign_admin_alert("admin-secret", BODY) == mac
    assert verify_admin_alert("admin-secret", mac, BODY)
    assert not verify_admin_alert("admin-secret", mac, BODY + b" ")
    assert not verify_admin_alert("admin-secret", None, BODY)
    assert HEADER == "X-Folio-Signature"


def test_the_two_schemes_never_verify_each_other():
    webhook = sign_subscriber_webhook("s3cret", T, BODY)
    admin = sign_admin_alert("s3cret", BODY)
    assert not verify_admin_alert("s3cret", webhook, BODY)
    assert not verify_subscriber_webhook("s3cret", admin, BODY, now=T)
