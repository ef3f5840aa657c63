"""Real local endpoints for the notification tests: a JSON webhook receiver (what Apprise's
`json://` posts), one that accepts connections and never answers, and a closed port."""

from __future__ import annotations

import base64
import json
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest


class Receiver:
    """An HTTP server on 127.0.0.1 (a free port) keeping every POST: (arrival, path, JSON body)."""

    def __init__(self, status: int = 200, port: int = 0) -> None:
        self.posts: list[tuple[float, str, dict[str, Any]]] = []
        self.status = status
        self._lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's name)
                size = int(self.headers.get("Content-Length", 0))
                body = json.loads(self.rfile.read(size) or b"{}")
                with receiver._lock:
                    receiver.posts.append((time.monotonic(), self.path, body))
                self.send_response(receiver.status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.port = self.server.server_address[1]
        self.url = f"json://127.0.0.1:{self.port}/hook"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self._thread.start()

    def bodies(self) -> list[dict[str, Any]]:
        with self._lock:
            return [b for _, _, b in self.posts]

    def wait(self, n: int, timeout: float = 20.0) -> list[dict[str, Any]]:
        deadline = time.monotonic() + timeout
        while len(self.bodies()) < n and time.monotonic() < deadline:
            time.sleep(0.02)
        return self.bodies()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class Hanging:
    """Accepts connections and never answers (a service that hangs)."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.port = self.sock.getsockname()[1]
        self.url = f"json://127.0.0.1:{self.port}/hook"
        self.conns: list[socket.socket] = []
        self._stop = threading.Event()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        self.sock.settimeout(0.2)
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
                self.conns.append(conn)
            except OSError:
                continue

    def close(self) -> None:
        self._stop.set()
        for c in self.conns:
            c.close()
        self.sock.close()


def closed_port() -> int:
    """A port nothing listens on (bound, then released)."""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def attachment(body: dict[str, Any]) -> tuple[str, str, bytes]:
    """(filename, mimetype, bytes) of the one attachment Apprise's json:// put in the body."""
    (att,) = body["attachments"]
    return att["filename"], att["mimetype"], base64.b64decode(att["base64"])


@pytest.fixture(name="receiver")
def receiver_fixture():
    """A `Receiver` for tests outside tests/notify (import it: `from notify.receivers import
    receiver_fixture`); closed at the end."""
    r = Receiver()
    yield r
    r.close()
