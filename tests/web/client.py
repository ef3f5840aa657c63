"""A small HTTP client for the web tests: JSON calls, the MJPEG stream and the figures stream."""

from __future__ import annotations

import http.client
import json
import socket
import time
from typing import Any
from urllib.parse import urlsplit

import cv2
import numpy as np


class Web:
    """The server under test at `url`, with the key the page would carry (or none on loopback),
    connecting from `source` (another loopback address is another client to the server)."""

    def __init__(self, url: str, key: str | None = None, source: str | None = None) -> None:
        self.url = url.rstrip("/")
        parts = urlsplit(url)
        self.host, self.port = parts.hostname or "127.0.0.1", parts.port or 80
        self.key = key
        self.source = source
        self.cookie: str | None = None  # the sign-in cookie's value, sent instead of a key

    def sent(self, headers: dict[str, str] | None = None) -> dict[str, str]:
        """`headers` with the sign-in cookie, when this client has one."""
        return {**({"Cookie": f"camapp-signin={self.cookie}"} if self.cookie else {}), **(headers or {})}

    def conn(self, timeout: float = 10.0) -> http.client.HTTPConnection:
        source = (self.source, 0) if self.source else None
        return http.client.HTTPConnection(self.host, self.port, timeout=timeout, source_address=source)

    def request(
        self, method: str, path: str, body: bytes | None = None, headers: dict[str, str] | None = None
    ) -> tuple[int, bytes, dict[str, str]]:
        c = self.conn()
        try:
            c.request(method, path, body=body, headers=self.sent(headers))
            r = c.getresponse()
            return r.status, r.read(), dict(r.getheaders())
        finally:
            c.close()

    def with_key(self, path: str) -> str:
        if not self.key:
            return path
        return f"{path}{'&' if '?' in path else '?'}key={self.key}"

    def status(self) -> dict[str, Any]:
        code, body, _ = self.request("GET", self.with_key("/api/status"))
        assert code == 200, body
        return json.loads(body)

    def post(self, command: str, body: Any, expect: int = 200) -> Any:
        code, data, _ = self.request(
            "POST",
            f"/api/{command}",
            json.dumps(body).encode(),
            {"Content-Type": "application/json", "X-Camapp-Key": self.key or ""},
        )
        assert code == expect, (command, body, code, data)
        return json.loads(data) if code == 200 else data.decode()

    def files(self) -> list[dict[str, Any]]:
        code, body, _ = self.request("GET", self.with_key("/api/files"))
        assert code == 200, body
        return json.loads(body)["files"]

    def wait_status(self, check: Any, timeout: float = 15.0) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while True:
            s = self.status()
            if check(s):
                return s
            if time.monotonic() > deadline:
                raise AssertionError(f"status never matched: {s}")
            time.sleep(0.1)


class Mjpeg:
    """One viewer of /video.mjpg: `next()` returns the next JPEG as bytes."""

    def __init__(self, web: Web) -> None:
        self.conn = web.conn(timeout=15.0)
        self.conn.request("GET", web.with_key("/video.mjpg"), headers=web.sent())
        self.resp = self.conn.getresponse()
        assert self.resp.status == 200, self.resp.read()
        ctype = self.resp.getheader("Content-Type", "")
        assert ctype.startswith("multipart/x-mixed-replace; boundary="), ctype
        self.boundary = ctype.split("boundary=", 1)[1].encode()

    def next(self) -> bytes:
        line = self.resp.readline()
        while line.strip() == b"":
            line = self.resp.readline()
        assert line.strip() == b"--" + self.boundary, line
        headers = {}
        while True:
            line = self.resp.readline().strip()
            if not line:
                break
            k, _, v = line.decode().partition(":")
            headers[k.strip().lower()] = v.strip()
        assert headers["content-type"] == "image/jpeg"
        return self.resp.read(int(headers["content-length"]))

    def image(self) -> np.ndarray:
        img = cv2.imdecode(np.frombuffer(self.next(), np.uint8), cv2.IMREAD_COLOR)
        assert img is not None, "a part that is not a decodable JPEG"
        return img

    def close(self) -> None:
        self.conn.close()


class Figures:
    """One reader of the Server-Sent Events figures stream."""

    def __init__(self, web: Web) -> None:
        self.conn = web.conn(timeout=15.0)
        self.conn.request("GET", web.with_key("/api/figures"), headers=web.sent())
        self.resp = self.conn.getresponse()
        assert self.resp.status == 200
        assert self.resp.getheader("Content-Type", "").startswith("text/event-stream")

    def next(self) -> dict[str, Any]:
        while True:
            line = self.resp.readline()
            if line.startswith(b"data: "):
                return json.loads(line[6:])

    def close(self) -> None:
        self.conn.close()


def raw(web: Web, data: bytes, timeout: float = 10.0) -> bytes:
    """Send raw bytes, return everything the server answers before closing (or timing out)."""
    with socket.create_connection((web.host, web.port), timeout=timeout) as s:
        s.sendall(data)  # the server answers a malformed request and closes the connection
        chunks = []
        try:
            while chunk := s.recv(65536):
                chunks.append(chunk)
        except (TimeoutError, ConnectionResetError):
            pass
    return b"".join(chunks)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])
