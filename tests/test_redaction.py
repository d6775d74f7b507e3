"""`redact`: no configured secret survives in any text, in any form it is echoed in (raw,
percent-encoded, JSON-escaped, as a URL's password or query parameter); None stays None and
plain text is left alone."""

import json
from urllib.parse import quote, quote_plus

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from pipelines.redaction import MASK, MIN_SECRET_LENGTH, SECRET_ENV, configured_secrets, redact

KEY = "county-key-Zq81x"
ENV = {"FOLIO_RECORDS_API_KEY": KEY, "SENDGRID_API_KEY": "SG.abc/def+ghi=="}


@pytest.mark.parametrize(
    "text, expected",
    [
        (
            f"GET /api/OfficialRecords?folioNumber=3040120010010&authKey={KEY} failed",
            f"GET /api/OfficialRecords?folioNumber=3040120010010&authKey={MASK} failed",
        ),
        ("bad request: ?AUTHKEY=short1&x=1", f"bad request: ?AUTHKEY={MASK}&x=1"),
        ('{"authKey": "abc"}', f'{{"authKey": "{MASK}"}}'),
        ("next=%2Fapi%3FauthKey%3Dabcdef", f"next=%2Fapi%3FauthKey%3D{MASK}"),
        ("Authorization: Bearer abcdef123456", f"Authorization: Bearer {MASK}"),
        ("postgresql://folio:hunter22@db:5432/folio", f"postgresql://folio:{MASK}@db:5432/folio"),
        (f"key was {KEY}.", f"key was {MASK}."),
        (f"{quote(ENV['SENDGRID_API_KEY'], safe='')} echoed", f"{MASK} echoed"),
        (f"{quote_plus(ENV['SENDGRID_API_KEY'])} echoed", f"{MASK} echoed"),
        ("no such folio 3040120010010", "no such folio 3040120010010"),
        ("", ""),
        (None, None),
    ],
)
def test_known_shapes(text, expected):
    assert redact(text, ENV) == expected


def test_a_secret_the_caller_knows_is_masked_too():
    assert redact("echo: my-own-key-77", {}, extra=["my-own-key-77"]) == f"echo: {MASK}"
    assert redact("echo: tiny", {}, extra=["tiny", None, ""]) == "echo: tiny"  # too short


def test_url_environment_variables_give_up_their_password_and_key_only():
    env = {
        "FOLIO_DATABASE_URL": "postgresql://folio:pg-pass-991@db/folio",
        "FOLIO_SOURCE_URL": "https://clerk.example/bulk?authKey=src-key-4411&x=1",
    }
    assert {"pg-pass-991", "src-key-4411"} <= set(configured_secrets(env))
    assert redact("login failed for pg-pass-991 with src-key-4411 on clerk.example", env) == (
        f"login failed for {MASK} with {MASK} on clerk.example"
    )


def test_overlapping_secrets_are_masked_whole():
    env = {"FOLIO_RECORDS_API_KEY": "abcdefgh", "SENDGRID_API_KEY": "efghijkl"}
    assert redact("<abcdefghijkl>", env) == f"<{MASK}>"


def test_a_secret_that_could_reappear_across_the_mask_blanks_the_text():
    env = {"FOLIO_RECORDS_API_KEY": "[redacted]x", "SENDGRID_API_KEY": "d]x[redacted]x"}
    out = redact("a [redacted]x[redacted]x b", env)
    assert all(s not in out for s in env.values())


secret_text = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",)), min_size=MIN_SECRET_LENGTH, max_size=24
)


@settings(max_examples=300, deadline=None)
@given(
    secrets=st.lists(secret_text, min_size=1, max_size=4),
    names=st.lists(st.sampled_from(SECRET_ENV), min_size=4, max_size=4, unique=True),
    pieces=st.lists(st.text(max_size=12), min_size=1, max_size=6),
    forms=st.lists(st.sampled_from(["raw", "quote", "quote_plus", "json"]), min_size=4, max_size=4),
)
def test_no_configured_secret_survives(secrets, names, pieces, forms):
    env = dict(zip(names, secrets, strict=False))
    encode = {
        "raw": lambda s: s,
        "quote": lambda s: quote(s, safe=""),
        "quote_plus": quote_plus,
        "json": lambda s: json.dumps(s)[1:-1],
    }
    text = ""
    for i, piece in enumerate(pieces):
        secret = secrets[i % len(secrets)]
        text += piece + encode[forms[i % len(forms)]](secret)
    out = redact(text, env)
    for secret in env.values():
        assert secret not in out
        assert quote(secret, safe="") not in out and json.dumps(secret)[1:-1] not in out


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789 .,-_/()", max_size=80))
def test_plain_text_is_left_alone(text):
    assume("bearer" not in text and "basic" not in text)
    assert redact(text, ENV) == text


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=60), st.sampled_from([KEY, "authKey=zzzzzz", "Bearer qqqqqqqq"]))
def test_redacting_twice_changes_nothing(text, secret):
    once = redact(text + secret + text, ENV)
    assert redact(once, ENV) == once and KEY not in once


def test_a_library_logger_is_redacted(caplog, monkeypatch):
    import logging

    from pipelines.redaction import redact_logs_of

    monkeypatch.setenv("FOLIO_SFTP_PASSWORD", "sftp-pass-9931")
    redact_logs_of("test.library", "test.library")  # twice: one filter
    log = logging.getLogger("test.library")
    assert len(log.filters) == 1
    caplog.set_level(logging.DEBUG)
    try:
        raise ValueError("server said sftp-pass-9931")
    except ValueError:
        log.exception("banner %s and token=%s", "sftp-pass-9931", "abcdefgh")
    assert "sftp-pass-9931" not in caplog.text and "abcdefgh" not in caplog.text
    assert "banner [redacted] and token=[redacted]" in caplog.text
    assert "ValueError: server said [redacted]" in caplog.text
