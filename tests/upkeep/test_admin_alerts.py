"""Admin alerts carry provider text (a run's error, a delivery failure): it is redacted in
the outbox file, the webhook post and the email; a webhook that fails names neither its
URL (a Slack hook's URL is its credential) nor what it answered, and the email still goes."""

import json
from http.server import BaseHTTPRequestHandler

import pytest

from pipelines.upkeep.admin_alerts import AdminAlertNotSent, send_admin_alert
from tests.servers import LocalHttpServer, free_port

KEY = "records-key-4417-abcdef"
HOOK_TOKEN = "T000-B000-hooksecret-7731"


class Hook(LocalHttpServer):
    def __init__(self, status: int = 200):
        self.status, self.posts, self.signatures, outer = status, [], [], self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                outer.posts.append(self.rfile.read(int(self.headers["Content-Length"])))
                outer.signatures.append(self.headers.get("X-Folio-Signature"))
                said = f"bad hook {self.path}".encode()
                self.send_response(outer.status)
                self.send_header("Content-Length", str(len(said)))
                self.end_headers()
                self.wfile.write(said)

        self._serve(Handler)


@pytest.fixture
def env(monkeypatch, tmp_path):
    monkeypatch.setenv("FOLIO_RECORDS_API_KEY", KEY)
    monkeypatch.setenv("FOLIO_ADMIN_EMAIL", "ops@folio.example")
    monkeypatch.setenv("FOLIO_EMAIL_PROVIDER", "file")
    return tmp_path / "data" / "outbox"


def test_provider_text_in_an_alert_is_redacted_everywhere_it_goes(env, monkeypatch):
    with Hook() as hook:
        monkeypatch.setenv("FOLIO_ADMIN_WEBHOOK_URL", f"{hook.url}/services/{HOOK_TOKEN}")
        path = send_admin_alert(
            f"lookups failing: key {KEY}",
            f"county said: GET /api/OfficialRecords?folioNumber=1&authKey={KEY}",
            key="records-api-test",
        )
    written = path.read_text()
    assert written.startswith("Subject: [Folio admin_alert] lookups failing: key [redacted]\n")
    assert written.endswith(
        "\n\ncounty said: GET /api/OfficialRecords?folioNumber=1&authKey=[redacted]\n"
    )
    [posted] = hook.posts
    assert json.loads(posted)["text"] == (
        "*lookups failing: key [redacted]*\n"
        "county said: GET /api/OfficialRecords?folioNumber=1&authKey=[redacted]"
    )
    [email] = (env / "email").iterdir()
    assert KEY not in email.read_text() and "[redacted]" in email.read_text()


@pytest.mark.parametrize("status", [500, 404])
def test_a_failing_webhook_names_no_url_and_the_email_still_goes(env, monkeypatch, status):
    with Hook(status) as hook:
        monkeypatch.setenv("FOLIO_ADMIN_WEBHOOK_URL", f"{hook.url}/services/{HOOK_TOKEN}")
        with pytest.raises(AdminAlertNotSent) as caught:
            send_admin_alert("disk low", "disk low on worker-1", key="disk")
    assert str(caught.value) == f"admin alert webhook answered {status}"
    assert caught.value.__cause__ is None and caught.value.__context__ is None
    assert (env / "admin_alerts" / "disk.txt").exists()
    assert len(list((env / "email").iterdir())) == 1


def test_an_unreachable_webhook_names_the_kind_only(env, monkeypatch):
    monkeypatch.setenv(
        "FOLIO_ADMIN_WEBHOOK_URL", f"http://127.0.0.1:{free_port()}/services/{HOOK_TOKEN}"
    )
    with pytest.raises(AdminAlertNotSent) as caught:
        send_admin_alert("disk low", "disk low on worker-1", key="disk")
    assert str(caught.value) == "admin alert webhook unreachable: ConnectError"
    assert len(list((env / "email").iterdir())) == 1


def test_the_webhook_post_is_signed_by_the_admin_alert_scheme_when_a_secret_is_set(
    env, monkeypatch
):
    """The bare hex HMAC-SHA256 of the body with FOLIO_WEBHOOK_SECRET (no secret: unsigned)."""
    import hashlib
    import hmac

    with Hook() as hook:
        monkeypatch.setenv("FOLIO_ADMIN_WEBHOOK_URL", f"{hook.url}/services/{HOOK_TOKEN}")
        send_admin_alert("unsigned", "no secret set", key="unsigned")
        monkeypatch.setenv("FOLIO_WEBHOOK_SECRET", "admin-hook-secret-5521")
        send_admin_alert("signed", "a secret set", key="signed")
    assert hook.signatures[0] is None
    expected = hmac.new(b"admin-hook-secret-5521", hook.posts[1], hashlib.sha256).hexdigest()
    assert hook.signatures[1] == expected
