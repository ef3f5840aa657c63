"""Real HTTP servers on 127.0.0.1 for the source tests: MJPEG cameras (steady, or hung after one
frame) and a plain file server with or without byte ranges.

Each is a `ThreadingHTTPServer` on a free loopback port, read by OpenCV/FFmpeg over real TCP.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import cv2


def jpeg_frames(clip: Path, count: int) -> list[bytes]:
    """The first `count` frames of `clip` as JPEG files."""
    cap = cv2.VideoCapture(str(clip))
    frames = []
    for _ in range(count):
        ok, image = cap.read()
        assert ok
        frames.append(cv2.imencode(".jpg", image)[1].tobytes())
    cap.release()
    return frames


class Served:
    """A running server: its URL, how many GETs it answered, `stop()`."""

    def __init__(self, server: ThreadingHTTPServer, path: str, closing: threading.Event) -> None:
        self.server = server
        self.url = f"http://127.0.0.1:{server.server_address[1]}{path}"
        self.closing = closing
        self.requests = 0

    def stop(self) -> None:
        self.closing.set()
        self.server.shutdown()
        self.server.server_close()


@contextmanager
def _serve(handler: type[BaseHTTPRequestHandler], path: str, closing: threading.Event) -> Iterator[Served]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    served = Served(server, path, closing)
    handler.served = served  # type: ignore[attr-defined]
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield served
    finally:
        served.stop()


@contextmanager
def mjpeg_server(frames: list[bytes], fps: float, hang_after: int | None = None) -> Iterator[Served]:
    """multipart/x-mixed-replace JPEGs at `fps`, like a cheap IP camera. With `hang_after` N,
    every connection gets N frames and then nothing more, the connection held open (a hung
    camera)."""
    closing = threading.Event()

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

        def do_GET(self) -> None:  # noqa: N802
            self.served.requests += 1  # type: ignore[attr-defined]
            self.send_response(200)
            self.send_header("Content-Type", "multipart/x-mixed-replace; boundary=frame")
            self.end_headers()
            i = 0
            try:
                while not closing.is_set():
                    if hang_after is not None and i >= hang_after:
                        closing.wait()  # the connection stays open, silent
                        return
                    jpg = frames[i % len(frames)]
                    i += 1
                    head = b"--frame\r\nContent-Type: image/jpeg\r\nContent-Length: %d\r\n\r\n" % len(jpg)
                    self.wfile.write(head + jpg + b"\r\n")
                    self.wfile.flush()
                    time.sleep(1.0 / fps)
            except (BrokenPipeError, ConnectionResetError):
                pass

    with _serve(Handler, "/stream.mjpg", closing) as served:
        yield served


@contextmanager
def file_server(
    path: Path, *, ranges: bool, content_type: str = "video/mp4", name: str | None = None
) -> Iterator[Served]:
    """Serves `path` as a plain web server does: Content-Length and `content_type`; with
    `ranges`, `Range: bytes=a-b` requests get 206 and `Accept-Ranges: bytes` is announced,
    without, every GET gets the whole file (200) and no Accept-Ranges."""
    closing = threading.Event()
    data = path.read_bytes()

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

        def _head(self, body: bool) -> None:
            self.served.requests += 1  # type: ignore[attr-defined]
            start, end = 0, len(data) - 1
            want = re.fullmatch(r"bytes=(\d*)-(\d*)", self.headers.get("Range", "")) if ranges else None
            if want and (want[1] or want[2]):
                if want[1]:
                    start = int(want[1])
                    end = min(int(want[2]), end) if want[2] else end
                else:  # a suffix: the last N bytes
                    start = max(0, len(data) - int(want[2]))
                if start > end:
                    self.send_response(416)
                    self.send_header("Content-Range", f"bytes */{len(data)}")
                    self.end_headers()
                    return
                self.send_response(206)
                self.send_header("Content-Range", f"bytes {start}-{end}/{len(data)}")
            else:
                self.send_response(200)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(end - start + 1))
            if ranges:
                self.send_header("Accept-Ranges", "bytes")
            self.end_headers()
            if not body:
                return
            with suppress(BrokenPipeError, ConnectionResetError):
                self.wfile.write(data[start : end + 1])

        def do_GET(self) -> None:  # noqa: N802
            self._head(body=True)

        def do_HEAD(self) -> None:  # noqa: N802
            self._head(body=False)

    with _serve(Handler, "/" + (name or path.name), closing) as served:
        yield served
