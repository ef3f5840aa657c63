"""Recordings in a real browser: Debian's Chromium (headless, driven by Selenium through Debian's
chromium-driver) loads a 60 s recording, a segment and an event clip in a <video> element, served
from loopback HTTP servers. The reported duration must be within 0.2 s of the true length and a seek
to the middle must land within 0.5 s of the target.

Two servers, because players read a fragmented MP4 differently over each: one answers range
requests (as any real web server does), one does not (Python's `http.server`). Over the second,
Chromium reports a fragmented file's duration from its first fragments only (3 s for 60 s): the
control below checks that, so this test fails if recordings stop being finalized. MKV is loaded
too: Matroska gets its duration and cues when the file is closed, and plays right as written.

The recordings come from the real recorders on the shared person clip, at 384x216 to stay cheap:
600 frames at 10 fps for the 60 s file (the clip's first 100 frames, looped), real detections for
the event clip.
"""

from __future__ import annotations

import contextlib
import functools
import http.server
import os
import re
import shutil
import tempfile
import threading
from pathlib import Path

import cv2
import pytest
from browser import chromium
from conftest import PERSON_CLIP, need

from camapp.record import EventRecorder, Segments, VideoRecorder
from camapp.record.encode import ClipWriter, Encoder
from camapp.record.finalize import mp4_kind
from camapp.types import Detections, Frame

SIZE = (384, 216)
FPS = 10.0


class RangeHandler(http.server.SimpleHTTPRequestHandler):
    """Static files with HTTP range requests (`Range: bytes=a-b` -> 206), as video players expect."""

    def log_message(self, *args: object) -> None:
        pass

    def send_head(self):  # type: ignore[override]
        path = self.translate_path(self.path)
        if not os.path.isfile(path):
            return super().send_head()
        size = os.path.getsize(path)
        m = re.fullmatch(r"bytes=(\d*)-(\d*)", self.headers.get("Range", ""))
        start, end = 0, size - 1
        if m and (m[1] or m[2]):
            start = int(m[1]) if m[1] else size - int(m[2])
            end = min(int(m[2]), size - 1) if m[1] and m[2] else size - 1
            self.send_response(206)
            self.send_header("Content-Range", f"bytes {start}-{end}/{size}")
        else:
            self.send_response(200)
        self.send_header("Content-Type", self.guess_type(path))
        self.send_header("Accept-Ranges", "bytes")
        self.send_header("Content-Length", str(end - start + 1))
        self.end_headers()
        f = open(path, "rb")  # noqa: SIM115 (closed by the base class after copyfile)
        f.seek(start)
        self._left = end - start + 1
        return f

    def copyfile(self, source, outputfile) -> None:  # type: ignore[override]
        left = getattr(self, "_left", None)
        if left is None:  # a directory listing
            return super().copyfile(source, outputfile)
        while left > 0:
            chunk = source.read(min(1 << 16, left))
            if not chunk:
                break
            with contextlib.suppress(ConnectionError):  # the player cancels reads it no longer needs
                outputfile.write(chunk)
            left -= len(chunk)


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args: object) -> None:
        pass


@contextlib.contextmanager
def serve(folder: Path, handler: type):
    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(handler, directory=str(folder))
    )
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


PROBE = """
const [url, seek, done] = arguments;
const v = document.createElement('video');
v.muted = true; v.preload = 'auto';
document.body.appendChild(v);
const out = {};
const timer = setTimeout(() => done(Object.assign(out, {timeout: true})), 20000);
v.onerror = () => { clearTimeout(timer); done({error: v.error ? v.error.code : -1}); };
v.onloadedmetadata = () => {
  out.duration = isFinite(v.duration) ? v.duration : null;
  if (!seek || out.duration === null) { clearTimeout(timer); v.remove(); done(out); return; }
  out.target = out.duration / 2;
  v.onseeked = () => { out.current = v.currentTime; clearTimeout(timer); v.remove(); done(out); };
  v.currentTime = out.target;
};
v.src = url;
"""


@pytest.fixture(scope="module")
def browser():
    profile = tempfile.mkdtemp(prefix="camapp-chromium-")
    driver = chromium(Path(profile))
    driver.set_script_timeout(30)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


def probe(driver, base: str, name: str, seek: bool) -> dict:
    driver.get(base + "/")  # same origin as the video
    return driver.execute_async_script(PROBE, f"{base}/{name}", seek)


def clip_frames(count: int) -> list:
    cap = cv2.VideoCapture(str(need(PERSON_CLIP)))
    frames = []
    for _ in range(count):
        ok, img = cap.read()
        assert ok
        frames.append(cv2.resize(img, SIZE, interpolation=cv2.INTER_AREA))
    cap.release()
    return frames


@pytest.fixture(scope="module")
def recordings(tmp_path_factory, model_store):
    """{name: true length in s} of files in one folder, each made by the real recorder."""
    from camapp.detect import open_detector
    from camapp.pipeline import Result, Stats

    folder = tmp_path_factory.mktemp("browser")
    images = clip_frames(100)

    def results(n, dets=None):
        for i in range(n):
            d = dets[i] if dets is not None else Detections.empty()
            yield Result(Frame(images[i % len(images)], 1000.0 + i / FPS, i, i / FPS), d, Stats())

    lengths: dict[str, float] = {}
    for ext in (".mp4", ".mkv"):
        rec = VideoRecorder(folder / f"sixty{ext}", queue_size=0)
        for r in results(600):
            rec.submit(r)
        rec.close()
        assert rec.error is None and rec.frames_written == 600
        lengths[f"sixty{ext}"] = 60.0
    base = folder / "seg" / "cam.mp4"
    base.parent.mkdir()
    rec = VideoRecorder(base, queue_size=0, segments=Segments(base, seconds=20))
    for r in results(600):
        rec.submit(r)
    rec.close()
    assert len(rec.files) == 3
    lengths[f"seg/{rec.files[1].name}"] = 20.0
    det = open_detector(threshold=0.4)
    try:
        dets = [det.detect(img) for img in images]
    finally:
        det.close()
    ev = EventRecorder(folder / "ev", ["person"], pre_roll=2.0, post_roll=3.0, queue_size=0)
    for r in results(100, dets):
        ev.submit(r)
    ev.close()
    assert ev.error is None and ev.events
    clip = max(ev.events, key=lambda e: e.frames)
    lengths[f"ev/{clip.path.name}"] = clip.frames / FPS
    assert clip.frames / FPS >= 5.0  # pre-roll + sighting + post-roll
    # the control: the same 60 s as a crash leaves it, fragmented
    enc = Encoder()
    w = ClipWriter(folder / "fragmented.mp4", enc)
    for i in range(600):
        w.write(enc.encode(images[i % len(images)], i / FPS))
    w.close()
    for name in lengths:
        if name.endswith(".mp4"):
            assert mp4_kind(folder / name) == "regular", name
    assert mp4_kind(folder / "fragmented.mp4") == "fragmented"
    return folder, lengths


@pytest.mark.parametrize("server", [RangeHandler, QuietHandler], ids=["ranges", "no-ranges"])
def test_duration_right_in_chromium(browser, recordings, server):
    folder, lengths = recordings
    with serve(folder, server) as base:
        got = {name: probe(browser, base, name, seek=False) for name in lengths}
    for name, true in lengths.items():
        assert got[name].get("duration") == pytest.approx(true, abs=0.2), (name, got[name])


def test_seek_to_the_middle_in_chromium(browser, recordings):
    folder, lengths = recordings
    with serve(folder, RangeHandler) as base:
        got = {name: probe(browser, base, name, seek=True) for name in lengths}
    for name, true in lengths.items():
        res = got[name]
        assert res.get("duration") == pytest.approx(true, abs=0.2), (name, res)
        assert res["target"] == pytest.approx(true / 2, abs=0.1)
        assert res.get("current") == pytest.approx(res["target"], abs=0.5), (name, res)


def test_control_a_fragmented_file_has_the_wrong_duration(browser, recordings):
    """Without finalizing, Chromium over a server without ranges sees a few seconds, not 60."""
    folder, _ = recordings
    with serve(folder, QuietHandler) as base:
        res = probe(browser, base, "fragmented.mp4", seek=False)
    assert res.get("duration") is not None and res["duration"] < 30, res
