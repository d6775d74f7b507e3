"""Local fake providers that speak the real wire formats: SendGrid v3 mail/send and
Anthropic's Messages API. Each takes a script of behaviours, one per request, then
answers normally; every request is recorded for the test to inspect."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler

from tests.servers import LocalHttpServer


class _JsonServer(LocalHttpServer):
    path = "/"

    def __init__(self, script: list[str] | None = None):
        self.script = list(script or [])
        self.requests: list[dict] = []
        self.lock = threading.Lock()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                with outer.lock:
                    action = outer.script.pop(0) if outer.script else "ok"
                    outer.requests.append(
                        {
                            "path": self.path,
                            "headers": dict(self.headers),
                            "body": json.loads(body or b"null"),
                            "action": action,
                        }
                    )
                status, headers, payload = outer.answer(
                    self.path, self.headers, json.loads(body or b"null"), action
                )
                if action == "hang":
                    time.sleep(outer.hang_seconds)
                data = json.dumps(payload).encode() if payload is not None else b""
                if action in ("badstatus", "truncate"):  # a broken answer, then the line drops
                    broken = (
                        b"HTTP/1.1 abc garbage\r\n\r\n"
                        if action == "badstatus"
                        else b'HTTP/1.1 202 Accepted\r\nContent-Length: 500\r\n\r\n{"trunc'
                    )
                    self.wfile.write(broken)
                    self.wfile.flush()
                    self.close_connection = True
                    return
                try:
                    self.send_response(status)
                    for k, v in {**headers, "Content-Length": str(len(data))}.items():
                        self.send_header(k, v)
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass

        self.hang_seconds = 2.0
        self._serve(Handler)

    def answer(self, path, headers, body, action):  # pragma: no cover - overridden
        raise NotImplementedError


def check_sendgrid_payload(body: dict) -> list[str]:
    """What a v3 mail/send request must hold; returns the problems (empty: valid)."""
    problems = []
    pers = body.get("personalizations") or []
    if not pers or not pers[0].get("to") or "@" not in pers[0]["to"][0].get("email", ""):
        problems.append("personalizations[0].to[0].email missing")
    if "@" not in (body.get("from") or {}).get("email", ""):
        problems.append("from.email missing")
    if not body.get("subject"):
        problems.append("subject missing")
    types = [c.get("type") for c in body.get("content") or []]
    if types[:2] != ["text/plain", "text/html"]:
        problems.append(f"content must be text/plain then text/html, got {types}")
    if not (body.get("custom_args") or {}).get("folio_idempotency_key"):
        problems.append("custom_args.folio_idempotency_key missing")
    return problems


class FakeSendGrid(_JsonServer):
    """POST /v3/mail/send. Actions: ok (202 + X-Message-Id), 500, 429, 429-retry-after-7, 400,
    hang (accepts the message, then answers only after `hang_seconds`: the client times out,
    yet it was sent), badstatus and truncate (accept it, then answer a garbage status line or
    a body cut short), echo and echo-500 (400 or 500 whose errors repeat the key), echo-long
    (a 400 whose key starts 295 characters into the body)."""

    def __init__(self, api_key: str, script: list[str] | None = None):
        super().__init__(script)
        self.api_key = api_key
        self.accepted: list[dict] = []

    def answer(self, path, headers, body, action):
        if path != "/v3/mail/send":
            return 404, {}, {"errors": [{"message": "not found"}]}
        if headers.get("Authorization") != f"Bearer {self.api_key}":
            return 401, {}, {"errors": [{"message": "authorization required"}]}
        if action in ("echo", "echo-500"):
            said = f"key {self.api_key} refused (Authorization: Bearer {self.api_key})"
            return (400 if action == "echo" else 500), {}, {"errors": [{"message": said}]}
        if action == "echo-long":  # '{"errors": [{"message": "' is 25 characters
            return 400, {}, {"errors": [{"message": "x" * 270 + self.api_key}]}
        problems = check_sendgrid_payload(body)
        if problems or action == "400":
            return 400, {}, {"errors": [{"message": p} for p in problems or ["bad request"]]}
        if action in ("500", "429"):
            return int(action), {}, {"errors": [{"message": "try later"}]}
        if action == "429-retry-after-7":
            return 429, {"Retry-After": "7"}, {"errors": [{"message": "slow down"}]}
        if action in ("badstatus", "truncate"):  # the request arrived: it counts as sent
            with self.lock:
                self.accepted.append(body)
            return 202, {}, None
        with self.lock:
            self.accepted.append(body)
            n = len(self.accepted)
        return 202, {"X-Message-Id": f"sg-{n}"}, None


def tool_answer(score=82, **over) -> dict:
    value = {
        "score": score,
        "roi": 7.8,
        "cap_rate": 0.078,
        "reasoning": "strong cap rate, priced under the zip",
        "breakdown": {
            "cap_rate": 31.2,
            "price_per_sqft": 30.0,
            "age_condition": 15.0,
            "listing_type": 0.0,
        },
    }
    value.update(over)
    return value


class FakeAnthropic(_JsonServer):
    """POST /v1/messages (key as x-api-key or, in SDK 2.x, a bearer token). Actions: ok (a
    tool_use answer), malformed (a text answer holding broken
    JSON and no tool call), score140 (a tool call out of range), hang (answers too late), 529,
    echo (a text answer, no tool call, repeating the key 100 characters in)."""

    def answer(self, path, headers, body, action):
        if path != "/v1/messages":
            return 404, {}, {"type": "error", "error": {"type": "not_found_error", "message": path}}
        if not (
            headers.get("x-api-key") or (headers.get("Authorization") or "").startswith("Bearer ")
        ):
            return (
                401,
                {},
                {"type": "error", "error": {"type": "authentication_error", "message": "no key"}},
            )
        if action == "529":
            return (
                529,
                {},
                {"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}},
            )
        if action == "malformed":
            content = [{"type": "text", "text": '{"score": 80, "reasoning": "cheap'}]
        elif action == "echo":
            key = headers.get("x-api-key") or (headers.get("Authorization") or "")[7:]
            content = [{"type": "text", "text": "y" * 100 + f" your key {key} works"}]
        else:
            value = tool_answer(140) if action == "score140" else tool_answer()
            content = [
                {
                    "type": "tool_use",
                    "id": "toolu_01",
                    "name": body["tools"][0]["name"],
                    "input": value,
                }
            ]
        return (
            200,
            {"Content-Type": "application/json"},
            {
                "id": "msg_01",
                "type": "message",
                "role": "assistant",
                "model": body["model"],
                "content": content,
                "stop_reason": "tool_use",
                "stop_sequence": None,
                "usage": {"input_tokens": 100, "output_tokens": 40},
            },
        )


def api_records(lines: list[str]) -> list[dict]:
    """OfficialRecords file lines as the records API's JSON records (upper-case field names)."""
    from pipelines.db.schema.layouts import get_layout

    names = [c.name.upper() for c in get_layout("official_records").columns]
    return [{k: v for k, v in zip(names, ln.split("^"), strict=True) if v != ""} for ln in lines]


class FakeRecordsApi(LocalHttpServer):
    """GET /api/OfficialRecords, the county's wire format. `documents[(param, value)]` holds
    the records a query finds, e.g. `("folioNumber", "3040120010010")` or `("cfnYear+cfnSeq",
    "2026+1")`. Actions, one per request, then "ok": ok (a list), single (one object, not a
    list), absent (no OfficialRecords), error (Status Error, with the county's text), 500,
    hang (answers after `hang_seconds`), echo (Status Error whose text repeats the request's
    URL, key included). Every request is recorded; each successful call consumes 1 unit of
    `balance`. `override` replaces fields of every answer, e.g. `{"UnitsConsumed": -50}`."""

    def __init__(self, api_key: str, balance: int = 5_000, script: list[str] | None = None):
        self.api_key, self.balance = api_key, balance
        self.script = list(script or [])
        self.documents: dict[tuple[str, str], list[dict]] = {}
        self.requests: list[dict] = []
        self.hang_seconds = 3.0
        self.override: dict = {}
        self.lock = threading.Lock()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def do_GET(self):
                from urllib.parse import parse_qs, urlsplit

                url = urlsplit(self.path)
                query = {k: v[0] for k, v in parse_qs(url.query).items()}
                with outer.lock:
                    action = outer.script.pop(0) if outer.script else "ok"
                    outer.requests.append({"path": url.path, "query": query, "action": action})
                status, payload = outer.answer(url.path, query, action)
                if action == "echo":
                    payload["StatusDesc"] = f"cannot parse GET {outer.url}{self.path}"
                payload.update(outer.override)
                if action == "hang":
                    time.sleep(outer.hang_seconds)
                data = json.dumps(payload).encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass

        self._serve(Handler)

    def _find(self, query: dict) -> list[dict]:
        if "folioNumber" in query:
            return self.documents.get(("folioNumber", query["folioNumber"]), [])
        if "cfnYear" in query:
            return self.documents.get(
                ("cfnYear+cfnSeq", f"{query['cfnYear']}+{query['cfnSeq']}"), []
            )
        return self.documents.get(("book+page", f"{query.get('book')}+{query.get('page')}"), [])

    def answer(self, path, query, action):
        if path != "/api/OfficialRecords":
            return 404, {"Status": "Error", "StatusDesc": "not found"}
        if query.get("authKey") != self.api_key:
            return 200, {"Status": "Error", "StatusDesc": "Invalid authKey", "UnitsConsumed": 0}
        if action == "500":
            return 500, {"Status": "Error", "StatusDesc": "internal error"}
        if action in ("error", "echo"):
            return 200, {
                "Status": "Error",
                "StatusDesc": "Parameter1 is not a valid folio number",
                "UnitsBalance": self.balance,
                "UnitsConsumed": 0,
            }
        with self.lock:
            self.balance -= 1
            balance = self.balance
        found = self._find(query)
        body = {
            "Status": "Success",
            "StatusDesc": "OK",
            "UnitsBalance": balance,
            "UnitsConsumed": 1,
        }
        if action == "absent" or not found:
            body["OfficialRecordList"] = {}
        elif action == "single":
            body["OfficialRecordList"] = {"OfficialRecords": found[0]}
        else:
            body["OfficialRecordList"] = {"OfficialRecords": found}
        return 200, body
