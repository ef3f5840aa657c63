"""A real HTTP MJPEG stream on loopback that goes away mid-stream and comes back.

The server is real (127.0.0.1 only) and OpenCV/FFmpeg really read it over TCP: stopping it
really breaks the connection, so this exercises the same path as an IP camera that drops out.
"""

import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import cv2
import pytest
from conftest import BOTTLE_CLIP, need

from camapp.errors import SourceError
from camapp.pipeline import Pipeline
from camapp.sources import open_source
from camapp.sources.base import SourceLost


class MJPEGServer:
    """multipart/x-mixed-replace JPEG frames at `fps`, like a cheap IP camera."""

    def __init__(self, frames: list[bytes], fps: float = 25.0) -> None:
        self.frames = frames
        self.fps = fps
        self.port = 0
        self.alive = False
        self._server: ThreadingHTTPServer | None = None

    def start(self) -> None:
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def do_GET(self) -> None:
                self.send_response(200)
                self.send_header("Content-Type", "multipart/x-mixed-replace; boundary=frame")
                self.end_headers()
                i = 0
                try:
                    while outer.alive:
                        jpg = outer.frames[i % len(outer.frames)]
                        i += 1
                        head = b"--frame\r\nContent-Type: image/jpeg\r\nContent-Length: %d\r\n\r\n" % len(jpg)
                        self.wfile.write(head + jpg + b"\r\n")
                        time.sleep(1.0 / outer.fps)
                except (BrokenPipeError, ConnectionResetError):
                    pass

        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]  # keep the port: the camera comes back at the same URL
        self.alive = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        self.alive = False
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/stream.mjpg"


@pytest.fixture()
def server():
    cap = cv2.VideoCapture(str(need(BOTTLE_CLIP)))
    frames = []
    for _ in range(30):
        ok, img = cap.read()
        assert ok
        frames.append(cv2.imencode(".jpg", img)[1].tobytes())
    cap.release()
    srv = MJPEGServer(frames)
    srv.start()
    yield srv
    srv.stop()


def test_stream_loss_is_transient_and_reopen_resumes(server):
    src = open_source(server.url)
    assert src.live and src.size == (640, 360)
    frames = [src.read() for _ in range(5)]
    assert [f.index for f in frames] == [0, 1, 2, 3, 4] and frames[0].media_time is None
    server.stop()
    with pytest.raises(SourceLost):
        for _ in range(200):
            src.read()
    src.close()
    with pytest.raises(SourceError, match="unreachable"):
        src.open()  # still down
    server.start()
    src.open()
    again = src.read()
    assert again.index > frames[-1].index and again.image.shape == (360, 640, 3)
    src.close()


def test_pipeline_reconnects_with_backoff_and_resumes(server, detector):
    src = open_source(server.url)
    states: list[tuple[str, str]] = []
    results = []
    p = Pipeline(src, detector, reconnect_delay=0.2, reconnect_max_delay=0.4)
    p.on_state(lambda s: states.append((s.state, s.message)))
    p.on_result(lambda r: results.append(r.frame.index))

    def wait_for(cond, timeout=20.0):
        end = time.monotonic() + timeout
        while not cond() and time.monotonic() < end:
            time.sleep(0.05)
        assert cond()

    p.start()
    wait_for(lambda: len(results) >= 5)
    server.stop()
    wait_for(lambda: any("attempt 3" in m for s, m in states if s == "reconnecting"))
    assert p.stats.state == "reconnecting" and "reconnecting… (attempt" in p.stats.message
    lost_at = len(results)
    server.start()
    wait_for(lambda: len(results) >= lost_at + 5)
    p.stop()
    assert [s for s, _ in states][:2] == ["running", "reconnecting"]
    assert ("running", "") in states[2:]  # back after the outage
    assert results == sorted(results)  # indices keep counting across the reconnect
    assert p.stats.state == "ended" and p.stats.message == "stopped"


def test_pipeline_gives_up_after_reconnect_timeout(server, detector):
    src = open_source(server.url)
    p = Pipeline(src, detector, reconnect_delay=0.1, reconnect_max_delay=0.2, reconnect_timeout=1.0)
    p.start()
    time.sleep(0.5)
    server.stop()
    assert p.wait(20)
    p.stop()
    assert p.stats.state == "error" and "lost" in p.stats.message
