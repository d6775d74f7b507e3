"""A local fake of Twilio's REST API (2010-04-01): Messages and Calls, created by form POST
with basic auth, fetched by sid or listed by To/From. Each create request takes the next
behaviour from a script ("ok", "500", "429", "timeout": accepted but answered too late,
"unsubscribed": Twilio's 21610 refusal, "echo": a 400 whose message repeats the account's
credentials, "down": connection dropped unanswered); every request is recorded. `callback()`
posts a status callback the way Twilio does, signed with Twilio's own RequestValidator."""

from __future__ import annotations

import base64
import itertools
import json
import threading
import time
from http.server import BaseHTTPRequestHandler
from urllib.parse import parse_qs, urlparse

import httpx
from twilio.request_validator import RequestValidator

from tests.servers import LocalHttpServer

SID, TOKEN, FROM = "AC" + "f" * 32, "fake-twilio-auth-token-0123456789", "+13055550000"


class FakeTwilio(LocalHttpServer):
    def __init__(self, script: list[str] | None = None, timeout_hold: float = 3.0):
        self.script = list(script or [])
        self.requests: list[dict] = []
        self.created: dict[str, dict] = {}  # sid -> the message or call as Twilio holds it
        self.lock = threading.Lock()
        self.timeout_hold = timeout_hold
        self._ids = itertools.count(1)
        outer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def _reply(self, status: int, payload: dict, headers: dict | None = None):
                data = json.dumps(payload).encode()
                self.send_response(status)
                for k, v in {
                    **(headers or {}),
                    "Content-Type": "application/json",
                    "Content-Length": str(len(data)),
                }.items():
                    self.send_header(k, v)
                self.end_headers()
                self.wfile.write(data)

            def _authorised(self) -> bool:
                expected = "Basic " + base64.b64encode(f"{SID}:{TOKEN}".encode()).decode()
                if self.headers.get("Authorization") != expected:
                    self._reply(401, {"code": 20003, "message": "Authenticate", "status": 401})
                    return False
                return True

            def do_POST(self):
                form = {
                    k: v[0]
                    for k, v in parse_qs(
                        self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode()
                    ).items()
                }
                if not self._authorised():
                    return
                kind = "sms" if self.path.endswith("/Messages.json") else "voice"
                with outer.lock:
                    action = outer.script.pop(0) if outer.script else "ok"
                    outer.requests.append(
                        {"path": self.path, "form": form, "action": action, "kind": kind}
                    )
                if action == "down":
                    self.close_connection = True
                    return
                if action == "500":
                    return self._reply(500, {"code": 20500, "message": "Internal Server Error"})
                if action == "429":
                    return self._reply(
                        429, {"code": 20429, "message": "Too Many Requests"}, {"Retry-After": "1"}
                    )
                if action == "echo":  # an error that repeats what it was sent, secrets too
                    return self._reply(
                        400,
                        {
                            "code": 21211,
                            "message": f"Invalid 'To' for account {SID} (AuthToken={TOKEN}, "
                            f"token: {TOKEN})",
                            "status": 400,
                        },
                    )
                if action == "unsubscribed":
                    return self._reply(
                        400,
                        {
                            "code": 21610,
                            "message": "Attempt to send to unsubscribed recipient",
                            "status": 400,
                        },
                    )
                prefix = "SM" if kind == "sms" else "CA"
                sid = f"{prefix}{next(outer._ids):032d}"
                record = {
                    "sid": sid,
                    "to": form.get("To"),
                    "from": form.get("From"),
                    "status": "queued",
                    "body": form.get("Body"),
                    "twiml": form.get("Twiml"),
                    "time_limit": form.get("TimeLimit"),
                    "status_callback": form.get("StatusCallback"),
                    "date_created": time.strftime("%a, %d %b %Y %H:%M:%S +0000"),
                }
                with outer.lock:
                    outer.created[sid] = record
                if action == "timeout":  # taken, but the answer comes after the client gave up
                    time.sleep(outer.timeout_hold)
                try:
                    self._reply(201, record)
                except (BrokenPipeError, ConnectionResetError):
                    pass

            def do_GET(self):
                if not self._authorised():
                    return
                url = urlparse(self.path)
                q = {k: v[0] for k, v in parse_qs(url.query).items()}
                with outer.lock:
                    items = list(outer.created.values())
                if url.path.endswith("/Messages.json") or url.path.endswith("/Calls.json"):
                    prefix = "SM" if "Messages" in url.path else "CA"
                    found = [
                        i
                        for i in items
                        if i["sid"].startswith(prefix)
                        and i["to"] == q.get("To")
                        and i["from"] == q.get("From")
                    ]
                    key = "messages" if prefix == "SM" else "calls"
                    return self._reply(200, {key: list(reversed(found))})
                sid = url.path.rsplit("/", 1)[-1].removesuffix(".json")
                with outer.lock:
                    record = outer.created.get(sid)
                if record is None:
                    return self._reply(404, {"code": 20404, "message": "not found"})
                return self._reply(200, record)

        self._serve(Handler)

    def creates(self, kind: str | None = None) -> list[dict]:
        return [r for r in self.requests if kind is None or r["kind"] == kind]

    def set_status(self, sid: str, status: str, duration: int | None = None) -> None:
        with self.lock:
            self.created[sid]["status"] = status
            if duration is not None:
                self.created[sid]["duration"] = str(duration)

    def callback(
        self,
        sid: str,
        status: str,
        duration: int | str | None = None,
        token: str = TOKEN,
        client=None,
        extra: dict[str, str] | None = None,
        url: str | None = None,
    ):
        """Post the status callback Twilio would, to the URL the create request named (or
        `url`), with any `extra` form fields (ErrorCode, ErrorMessage...). With `client` (a
        FastAPI TestClient) it goes to the app in-process, signed over the same public URL."""
        record = self.created[sid]
        self.set_status(sid, status, duration)
        kind = "Message" if sid.startswith("SM") else "Call"
        form = {f"{kind}Sid": sid, f"{kind}Status": status, "AccountSid": SID, **(extra or {})}
        if duration is not None:
            form["CallDuration"] = str(duration)
        return signed_post(url or record["status_callback"], form, token, client)


def signed_post(url: str, form: dict[str, str], token: str = TOKEN, client=None):
    """A form POST signed the way Twilio signs it (its own RequestValidator) over `url`; with
    `client` (a TestClient) sent to the same path and query in-process."""
    signature = RequestValidator(token).compute_signature(url, form)
    headers = {"X-Twilio-Signature": signature}
    if client is None:
        return httpx.post(url, data=form, headers=headers)
    parts = urlparse(url)
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    return client.post(path, data=form, headers=headers)


def inbound(
    base_url: str,
    public_base: str,
    from_number: str,
    body: str,
    token: str = TOKEN,
    client=None,
):
    """A reply to our number, as Twilio posts it to the inbound webhook (to `base_url`, or
    in-process through `client`, a TestClient)."""
    url = f"{public_base.rstrip('/')}/twilio/inbound"
    form = {"From": from_number, "To": FROM, "Body": body, "AccountSid": SID}
    if client is not None:
        return signed_post(url, form, token, client)
    signature = RequestValidator(token).compute_signature(url, form)
    return httpx.post(
        f"{base_url}/twilio/inbound", data=form, headers={"X-Twilio-Signature": signature}
    )


def twilio_env(monkeypatch, fake: FakeTwilio) -> None:
    monkeypatch.setenv("TWILIO_ACCOUNT_SID", SID)
    monkeypatch.setenv("TWILIO_AUTH_TOKEN", TOKEN)
    monkeypatch.setenv("FOLIO_TWILIO_FROM", FROM)
    monkeypatch.setenv("FOLIO_TWILIO_BASE_URL", fake.url)
