"""An SFTP server whose banner repeats our password: paramiko quotes the banner in its
error and its log lines; the source's error, its cause and every log line are redacted."""

import logging
import socket
import threading

import pytest

from pipelines.county.sources import TransientSourceError
from pipelines.county.sources.sftp import SftpSource

PASSWORD = "leak-canary-sftp-8841"


class EchoingBanner:
    """A TCP server that greets with 100 lines that are not an SSH banner, each repeating
    the password (paramiko gives up after 100 and quotes the last)."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.port = self.sock.getsockname()[1]
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self):
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            with conn:
                try:
                    conn.sendall(f"hello, your password is {PASSWORD}\r\n".encode() * 100)
                    conn.recv(4096)
                except OSError:
                    pass

    def close(self):
        self.sock.close()


@pytest.fixture
def banner():
    server = EchoingBanner()
    yield server
    server.close()


def test_a_banner_repeating_the_password_is_redacted_in_the_error_and_logs(
    banner, monkeypatch, caplog
):
    monkeypatch.setenv("FOLIO_SFTP_PASSWORD", PASSWORD)
    caplog.set_level(logging.DEBUG)
    src = SftpSource("127.0.0.1", banner.port, "folio", check_host_key=False, timeout=2, attempts=1)
    with pytest.raises(TransientSourceError) as caught:
        src.list_files("daily", "2026-01-05")
    said = str(caught.value)
    assert said == (
        f"sftp://folio@127.0.0.1:{banner.port}/: "
        'Indecipherable protocol version "hello, your password is [redacted]"'
    )
    assert caught.value.__cause__ is None and caught.value.__suppress_context__
    assert "hello, your password is [redacted]" in caplog.text  # paramiko did log it...
    assert PASSWORD not in caplog.text  # ...redacted
