"""The live video as MJPEG: each frame is JPEG-encoded once, on one thread, for every viewer.

The pipeline hands results to `offer` (cheap: it keeps a reference to the newest). An encoder
thread wakes at most `fps` times a second, and only while someone watches, draws the boxes on the
newest result and encodes it. Viewers wait on a pulse in the server's event loop and always take
the newest JPEG: a viewer whose socket is slow skips the frames it missed instead of queueing them,
so it holds at most the one frame it is sending and never slows the encoder or the others.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
import time
from collections.abc import AsyncIterator, Callable
from typing import Any

import cv2
import numpy as np

from camapp.render import annotate

log = logging.getLogger(__name__)


def encode_jpeg(result: Any, quality: int = 80) -> bytes:
    """The result's frame with its boxes drawn, and with tracking its trails, lines and zones
    with their counts (the figures are in the page, so no heads-up line), as JPEG bytes."""
    image: np.ndarray = annotate(result.frame.image, result.detections, track=getattr(result, "track", None))
    ok, buf = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, quality])
    if not ok:
        raise ValueError("JPEG encoding failed")
    return buf.tobytes()


class Pulse:
    """An asyncio 'something new' signal that any thread can fire; waiters never miss a fire."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.count = 0
        self._event = asyncio.Event()

    def fire(self) -> None:
        """From any thread; a no-op once the loop is closed (the server is stopping)."""
        with contextlib.suppress(RuntimeError):
            self.loop.call_soon_threadsafe(self._fire)

    def _fire(self) -> None:
        self.count += 1
        event, self._event = self._event, asyncio.Event()
        event.set()

    async def wait(self, seen: int, timeout: float | None = None) -> int:
        """Until the count passes `seen` (or `timeout`); returns the count."""
        if self.count == seen:
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self._event.wait(), timeout)
        return self.count


class MjpegBroadcaster:
    """One encoder thread, any number of viewers; see the module docstring."""

    def __init__(
        self,
        fps: float = 15.0,
        quality: int = 80,
        encode: Callable[[Any, int], bytes] = encode_jpeg,
    ) -> None:
        if not fps > 0:
            raise ValueError("fps must be positive")
        self.fps = fps
        self.quality = quality
        self._encode = encode
        self._latest: Any = None
        self._new = threading.Event()
        self._watch = threading.Condition()
        self._viewers = 0
        self._stop = False
        self._thread: threading.Thread | None = None
        self._pulse: Pulse | None = None
        self._jpeg = b""
        self._encoded_for: Any = None  # the result `_jpeg` shows
        self.encoded = 0  # frames encoded (once each, whatever the number of viewers)
        self.skipped = 0  # frames viewers missed because they were still sending an older one
        self.sent = 0  # frames written to viewers

    @property
    def viewers(self) -> int:
        return self._viewers

    def offer(self, result: Any) -> None:
        """Pipeline thread: keep the newest result; never blocks, never copies."""
        self._latest = result
        self._new.set()

    def start(self, loop: asyncio.AbstractEventLoop) -> None:
        self._pulse = Pulse(loop)
        self._thread = threading.Thread(target=self._run, name="camapp-web-jpeg", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        with self._watch:
            self._stop = True
            self._watch.notify_all()
        self._new.set()
        if self._thread is not None:
            self._thread.join(5.0)

    async def frames(self) -> AsyncIterator[bytes]:
        """The newest JPEG each time one is ready, for one viewer, for as long as it iterates."""
        assert self._pulse is not None, "start() first"
        pulse = self._pulse
        with self._watch:
            self._viewers += 1
            self._watch.notify_all()
        seen = pulse.count
        try:
            latest = self._latest
            if latest is not None and latest is self._encoded_for:
                self.sent += 1
                yield self._jpeg  # up to date: a new viewer starts at once, without a new encode
            elif latest is not None:
                self._new.set()  # a paused pipeline still shows its last frame to a new viewer
            while not self._stop:
                count = await pulse.wait(seen, timeout=1.0)
                if count == seen:
                    continue
                self.skipped += count - seen - 1
                seen = count
                self.sent += 1
                yield self._jpeg
        finally:
            with self._watch:
                self._viewers -= 1

    def _run(self) -> None:
        period = 1.0 / self.fps
        next_at = 0.0
        while True:
            with self._watch:
                while self._viewers == 0 and not self._stop:
                    self._watch.wait()
                if self._stop:
                    return
            if not self._new.wait(0.5):
                continue
            delay = next_at - time.monotonic()
            if delay > 0:
                time.sleep(delay)  # the cap: frames arriving meanwhile replace each other
            self._new.clear()
            result = self._latest
            if result is None or result is self._encoded_for:
                continue  # already sent (a viewer that joined meanwhile got it with the pulse)
            next_at = time.monotonic() + period
            try:
                jpeg = self._encode(result, self.quality)
            except Exception as exc:  # a bad frame must not end the stream
                log.warning("web: a frame was not encoded: %s", exc)
                continue
            self._jpeg, self._encoded_for = jpeg, result
            self.encoded += 1
            assert self._pulse is not None
            self._pulse.fire()
