"""Fixtures the fault tests share."""

import socket
import threading

import pytest


@pytest.fixture
def silent_server():
    """Accepts connections and never answers: a source that hangs."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(50)
    held = []
    stop = threading.Event()

    def serve():
        sock.settimeout(0.2)
        while not stop.is_set():
            try:
                held.append(sock.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{sock.getsockname()[1]}/{{cadence}}/{{partition}}/{{name}}"
    stop.set()
    thread.join(2)
    for c in held:
        c.close()
    sock.close()
