"""A tenant's webhook that fails says why without repeating its URL (a Slack hook's URL is
its credential), its signing secret, or what its server sent back."""

import json
import threading
from http.server import BaseHTTPRequestHandler

import pytest

from pipelines.notify.email import OutcomeUnknown, PermanentSendError, TransientSendError
from pipelines.notify.webhooks import WebhookMessage, WebhookSender
from tests.servers import LocalHttpServer, free_port

SECRET = "whsec-tenant-7731-abcdef"
TOKEN = "hook-token-5519-zzzz"


class EchoingHook(LocalHttpServer):
    """Answers `status` with a body repeating everything it was sent (URL, headers, body)."""

    def __init__(self, status: int, hang: float = 0.0):
        outer = self
        self.status, self.hang = status, hang

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                if outer.hang:
                    threading.Event().wait(outer.hang)
                said = json.dumps(
                    {"url": self.path, "headers": dict(self.headers), "body": body.decode()}
                ).encode()
                try:
                    self.send_response(outer.status)
                    self.send_header("Content-Length", str(len(said)))
                    self.end_headers()
                    self.wfile.write(said + f" secret={SECRET}".encode())
                except (BrokenPipeError, ConnectionResetError):
                    pass

        self._serve(Handler)


def message(url: str) -> WebhookMessage:
    return WebhookMessage(
        url=url,
        secret=SECRET,
        payload={"event": "test"},
        text="test",
        idempotency_key="wh:1",
        template="test",
    )


@pytest.mark.parametrize(
    "status, error, said",
    [
        (400, PermanentSendError, "webhook answered 400"),
        (503, TransientSendError, "webhook answered 503"),
    ],
)
def test_a_refusal_names_the_status_only(status, error, said):
    with EchoingHook(status) as hook:
        with pytest.raises(error) as caught:
            WebhookSender(5).send(message(f"{hook.url}/hook?token={TOKEN}"))
    assert str(caught.value) == said


def test_unreachable_and_timed_out_name_the_kind_only():
    url = f"http://127.0.0.1:{free_port()}/hook?token={TOKEN}"
    with pytest.raises(TransientSendError) as caught:
        WebhookSender(2).send(message(url))
    assert str(caught.value) == "webhook unreachable: ConnectError"
    with EchoingHook(200, hang=1.0) as hook:
        with pytest.raises(OutcomeUnknown) as late:
            WebhookSender(0.2).send(message(f"{hook.url}/hook?token={TOKEN}"))
    assert str(late.value) == "no answer from the webhook after the request was sent (ReadTimeout)"
    for exc in (caught.value, late.value):
        assert exc.__cause__ is None and exc.__suppress_context__
