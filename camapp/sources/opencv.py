"""Cameras, video files, network streams and GStreamer pipelines through `cv2.VideoCapture`.

One class covers them all because OpenCV does; what differs is how a failed read is read:
for a file it is the end, for a camera or stream it is a transient loss the pipeline retries.
"""

from __future__ import annotations

import math
import re
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from camapp.errors import SourceError
from camapp.sources.base import SourceLost
from camapp.types import Frame

# Quiet OpenCV's own warnings: a bad source is reported as one line by us (FFmpeg's: camapp/__init__).
cv2.utils.logging.setLogLevel(cv2.utils.logging.LOG_LEVEL_ERROR)

URL = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*://")
HTTP = re.compile(r"^https?://", re.IGNORECASE)
# A container's frame count above this is FFmpeg's "no duration" (a live stream), not a length.
MAX_FRAME_COUNT = 1e12
# A camera may hand out a few empty buffers while it starts; more than this in a row is a loss.
EMPTY_FRAMES_TOLERATED = 5
# A realtime file this far behind its schedule (after a pause or a stall) re-anchors instead of rushing.
CATCH_UP_LIMIT_S = 0.25
# A frame's own time within this of frame count / fps is a constant-rate frame: count / fps is kept,
# exactly as before frames' own times were read (a 1/1000 time base rounds 1/30 s by up to 0.5 ms).
CONSTANT_RATE_TOLERANCE_S = 0.002
# An MJPEG stream carries no frame rate (FFmpeg says 25 for all): the first frames are timed at
# the first open, up to this many frames or this long, and their median interval is the rate.
RATE_PROBE_FRAMES = 6
RATE_PROBE_S = 1.0
MJPEG = int.from_bytes(b"MJPG", "little")


@dataclass(frozen=True)
class Served:
    """What an HTTP server says about a URL before any video is read."""

    length: int | None  # bytes, when the server gives a length
    content_type: str
    ranges: bool  # answers byte-range requests, so a player can seek (an index at the end)

    @property
    def video_file(self) -> bool:
        """A length and a video type: a file on a web server, not a camera's endless stream."""
        return bool(self.length) and self.content_type.startswith("video/")


def probe_http(url: str, timeout: float) -> Served | None:
    """Ask the server for the first byte: a 206 means ranges, the length and type come along.
    None when the server cannot be asked this way (the stream is then opened as before)."""
    request = urllib.request.Request(url, headers={"Range": "bytes=0-0", "User-Agent": "camapp"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as reply:  # noqa: S310 (http/https only)
            headers, status = reply.headers, reply.status
    except (urllib.error.URLError, OSError, ValueError):
        return None
    content_type = (headers.get("Content-Type") or "").split(";")[0].strip().lower()
    length: int | None = None
    total = re.fullmatch(r"bytes \d+-\d+/(\d+)", headers.get("Content-Range") or "")
    if status == 206 and total:
        length = int(total[1])
    elif status == 200 and (headers.get("Content-Length") or "").isdigit():
        length = int(headers["Content-Length"])
    ranges = status == 206 or (headers.get("Accept-Ranges") or "").lower() == "bytes"
    return Served(length, content_type, ranges)


def classify(spec: str) -> str:
    """'camera', 'stream', 'gstreamer' or 'file' for a source spec."""
    if spec.isdigit() or spec.startswith("/dev/video"):
        return "camera"
    if "!" in spec:
        return "gstreamer"
    if URL.match(spec) and not spec.startswith("file://"):
        return "stream"
    return "file"


class OpenCVSource:
    """A `Source` on `cv2.VideoCapture`.

    `width`/`height`/`fps` are requests to a camera; `fps`/`size` afterwards say what it gave.
    Files play at their own rate when `realtime` (default), or as fast as they decode.
    """

    def __init__(
        self,
        spec: str,
        *,
        width: int | None = None,
        height: int | None = None,
        fps: float | None = None,
        realtime: bool = True,
        loop: bool = False,
        timeout: float = 5.0,
    ) -> None:
        self.spec = str(spec)
        self.kind = classify(self.spec)
        self.live = self.kind != "file"
        self.realtime = realtime or self.live
        self.loop = loop and not self.live
        self._asked = (realtime, loop)  # an http(s) URL found to be a file gets them at open
        self.web = self.kind == "stream" and HTTP.match(self.spec) is not None  # http(s)://
        self._served: Served | None = None  # what the web server said, once it answered
        self._measured: float | None = None  # an MJPEG stream's rate, timed at its first open
        self.timeout = timeout
        self._want = (width, height, fps)
        self.fps: float | None = None
        self.size: tuple[int, int] | None = None
        self.frame_count: int | None = None  # frames in a file, when the container says
        self._cap: cv2.VideoCapture | None = None
        self._pending: np.ndarray | None = None
        self._index = 0  # running frame index, kept across reconnects and loops
        self._pass_frames = 0  # frames read in this pass over a file
        self._loop_offset = 0.0  # media time at which the current pass started
        self._pos0: float | None = None  # the first frame's own time in this pass (s)
        self._last_t = 0.0  # media time of the frame just read, within the pass
        self._step = 0.0  # the last interval between two frames (s)
        self._anchor: float | None = None
        if self.kind == "camera":
            self.name = f"camera {self.spec}" if self.spec.isdigit() else self.spec
        elif self.kind == "file":
            self.path = Path(self.spec[7:] if self.spec.startswith("file://") else self.spec)
            self.name = self.path.name
        else:
            self.name = self.spec if self.kind == "stream" else "GStreamer pipeline"

    # -- opening -------------------------------------------------------------------------------
    def open(self) -> None:
        self.close()
        if self.web and self.kind == "stream" and self._served is None:
            self._served = probe_http(self.spec, self.timeout)
        if self.web and self._served is not None and self._served.video_file:
            self._as_file()  # a length and a video type: a file on a web server
        cap = {"camera": self._open_camera, "file": self._open_file}.get(self.kind, self._open_stream)()
        count = float(cap.get(cv2.CAP_PROP_FRAME_COUNT) or 0)
        if self.web and self.kind == "stream" and 0 < count < MAX_FRAME_COUNT:
            self._as_file()  # a container with a duration, whatever type the server gave
            self._prime(cap)
        self._cap = cap
        w = int(cap.get(cv2.CAP_PROP_FRAME_WIDTH) or 0)
        h = int(cap.get(cv2.CAP_PROP_FRAME_HEIGHT) or 0)
        if self._pending is not None:
            h, w = self._pending.shape[:2]
        self.size = (w, h) if w > 0 and h > 0 else None
        fps = float(cap.get(cv2.CAP_PROP_FPS) or 0.0)
        self.fps = fps if math.isfinite(fps) and 0.0 < fps <= 240.0 else None
        if self.kind == "stream" and int(cap.get(cv2.CAP_PROP_FOURCC) or 0) == MJPEG:
            if self._measured is None:
                self._measured = self._time_rate(cap)
            self.fps = self._measured or None
        self._anchor = None

    def _as_file(self) -> None:
        """From now on this URL is read as a file: paced, timed from the stream, ending."""
        self.kind, self.live = "file", False
        self.realtime, self.loop = self._asked

    def _time_rate(self, cap: cv2.VideoCapture) -> float:
        """Frames per second an MJPEG stream really sends: the median interval between its
        first frames (0.0 when fewer than two came). The last frame read is kept for `read()`."""
        arrivals: list[float] = []
        started = time.monotonic()
        while len(arrivals) < RATE_PROBE_FRAMES and time.monotonic() - started < RATE_PROBE_S:
            ok, image = cap.read()
            if not ok or image is None or not image.size:
                break
            arrivals.append(time.monotonic())
            self._pending = image
        steps = sorted(b - a for a, b in zip(arrivals, arrivals[1:]))
        if not steps or steps[len(steps) // 2] <= 0:
            return 0.0
        return round(1.0 / steps[len(steps) // 2], 1)

    def _open_camera(self) -> cv2.VideoCapture:
        target: int | str = int(self.spec) if self.spec.isdigit() else self.spec
        if isinstance(target, str) and not Path(target).exists():
            raise SourceError(f"camera {target} not found: no such device")
        api = cv2.CAP_V4L2 if sys.platform.startswith("linux") else cv2.CAP_ANY
        cap = cv2.VideoCapture(target, api)
        if not cap.isOpened():
            cap.release()
            where = f"/dev/video{target}" if isinstance(target, int) else target
            raise SourceError(f"camera {self.spec} cannot be opened: no such device or it is busy ({where})")
        width, height, fps = self._want
        if width:
            cap.set(cv2.CAP_PROP_FRAME_WIDTH, width)
        if height:
            cap.set(cv2.CAP_PROP_FRAME_HEIGHT, height)
        if fps:
            cap.set(cv2.CAP_PROP_FPS, fps)
        cap.set(cv2.CAP_PROP_BUFFERSIZE, 1)  # the newest frame, not a backlog: we are real-time
        return cap

    def _ffmpeg(self) -> cv2.VideoCapture:
        """A capture of the URL through FFmpeg, with the open and read timeouts."""
        ms = int(self.timeout * 1000)
        params = [cv2.CAP_PROP_OPEN_TIMEOUT_MSEC, ms, cv2.CAP_PROP_READ_TIMEOUT_MSEC, ms]
        return cv2.VideoCapture(self.spec, cv2.CAP_FFMPEG, params)

    def _open_stream(self) -> cv2.VideoCapture:
        if self.kind == "gstreamer":
            if "GStreamer:                   YES" not in cv2.getBuildInformation():
                raise SourceError("this OpenCV build has no GStreamer support; use a camera, file or URL")
            cap = cv2.VideoCapture(self.spec, cv2.CAP_GSTREAMER)
        else:
            cap = self._ffmpeg()
        if not cap.isOpened():
            cap.release()
            raise SourceError(f"cannot open {self.name}: unreachable or not a video stream")
        return cap

    def _open_file(self) -> cv2.VideoCapture:
        if not self.web:  # on disk
            if not self.path.exists():
                raise SourceError(f"video file not found: {self.path}")
            if not self.path.is_file():
                raise SourceError(f"not a video file: {self.path}")
        cap = self._file_capture()
        self._prime(cap)
        return cap

    def _file_capture(self) -> cv2.VideoCapture:
        return self._ffmpeg() if self.web else cv2.VideoCapture(str(self.path))

    def _prime(self, cap: cv2.VideoCapture) -> None:
        """Read the first frame now: a file that cannot be decoded fails the open, not the run."""
        ok, image = cap.read() if cap.isOpened() else (False, None)
        if not ok or image is None or image.size == 0:
            cap.release()
            if not self.web:
                raise SourceError(f"cannot read {self.path}: not a video OpenCV can decode")
            if self._served is not None and not self._served.ranges:
                raise SourceError(
                    f"cannot read {self.spec}: the server sends the file only whole (no byte ranges)"
                    " and this video needs seeking (its index is at the end); serve it with ranges,"
                    " or move the index to the front (ffmpeg -i IN -c copy -movflags +faststart OUT)"
                )
            raise SourceError(f"cannot read {self.spec}: not a video OpenCV can decode")
        count = int(cap.get(cv2.CAP_PROP_FRAME_COUNT) or 0)
        self.frame_count = count if 0 < count < MAX_FRAME_COUNT else None
        self._pending = image
        self._pass_frames, self._pos0 = 0, None

    # -- reading -------------------------------------------------------------------------------
    def read(self) -> Frame | None:
        if self._cap is None:
            raise SourceLost(f"{self.name} is not open")
        return self._read_file() if self.kind == "file" else self._read_live()

    def _read_live(self) -> Frame:
        assert self._cap is not None
        if self._pending is not None:  # the last frame of the rate timing
            image, self._pending = self._pending, None
            return self._stamp(image, None)
        for _ in range(EMPTY_FRAMES_TOLERATED):
            ok, image = self._cap.read()
            if not ok:
                break
            if image is not None and image.size:
                self.size = (image.shape[1], image.shape[0])
                return self._stamp(image, None)
        raise SourceLost(f"no frames from {self.name}")

    def _read_file(self) -> Frame | None:
        assert self._cap is not None
        image = self._next_image()
        if image is None and self.loop and self._pass_frames:
            self._loop_offset += self._pass_duration()
            self._pass_frames, self._pos0 = 0, None
            self._cap.set(cv2.CAP_PROP_POS_FRAMES, 0)
            image = self._next_image()
            if image is None:  # a 1-frame file, an image or a server without ranges: open it again
                self._cap.release()
                self._cap = self._file_capture()
                image = self._next_image()
        if image is None:
            return None
        media_time = self._loop_offset + self._media_time()
        self._pass_frames += 1
        if self.realtime:
            self._pace(media_time)
        return self._stamp(image, media_time)

    def _next_image(self) -> np.ndarray | None:
        assert self._cap is not None
        if self._pending is not None:
            image, self._pending = self._pending, None
            return image
        ok, image = self._cap.read()
        return image if ok and image is not None and image.size else None

    def _media_time(self) -> float:
        """Seconds into the file of the frame just read: its own presentation time, so a
        variable-rate file (phones, IP cameras) is timed right; frame count / fps when that agrees
        within `CONSTANT_RATE_TOLERANCE_S`, or when the container gives no usable time."""
        assert self._cap is not None
        n = self._pass_frames
        counted = n / self.fps if self.fps else None
        pos = float(self._cap.get(cv2.CAP_PROP_POS_MSEC) or 0.0) / 1000.0
        if self._pos0 is None:
            self._pos0 = pos if math.isfinite(pos) and pos >= 0 else 0.0
        own = pos - self._pos0
        if not math.isfinite(own) or own < 0 or (n and own <= self._last_t):
            own = None  # no usable time from the container: count, or step on from the last frame
        if own is not None and (counted is None or abs(own - counted) > CONSTANT_RATE_TOLERANCE_S):
            t = own
        elif counted is not None and (n == 0 or counted > self._last_t):
            t = counted
        else:  # times that jump back (joined clips): step on, time never runs backwards
            t = self._last_t + (self._step or 1 / 30) if n else 0.0
        if n:
            self._step = t - self._last_t
        self._last_t = t
        return t

    def _pass_duration(self) -> float:
        """Length of the pass just played: its last frame's time plus one frame interval."""
        if self.fps and abs(self._last_t - (self._pass_frames - 1) / self.fps) <= CONSTANT_RATE_TOLERANCE_S:
            return self._pass_frames / self.fps
        return self._last_t + (self._step or (1 / self.fps if self.fps else 1 / 30))

    def _pace(self, media_time: float) -> None:
        """Sleep until the frame is due on the wall clock; never rush to catch up after a stall."""
        now = time.monotonic()
        if self._anchor is None or now - (self._anchor + media_time) > CATCH_UP_LIMIT_S:
            self._anchor = now - media_time
        delay = self._anchor + media_time - now
        if delay > 0:
            time.sleep(delay)

    def _stamp(self, image: np.ndarray, media_time: float | None) -> Frame:
        frame = Frame(image, time.monotonic(), self._index, media_time)
        self._index += 1
        return frame

    def close(self) -> None:
        if self._cap is not None:
            self._cap.release()
            self._cap = None
        self._pending = None

    def __repr__(self) -> str:
        return f"OpenCVSource({self.spec!r}, kind={self.kind})"
