"""The Raspberry Pi camera module through Picamera2 (`--source picam`, `picam:1`).

OpenCV cannot open CSI cameras on the libcamera stack (Raspberry Pi OS Bullseye and later), so
Picamera2 drives them. It is imported only when a Pi camera is asked for.

The main stream is requested as "RGB888", which Picamera2 lays out as B, G, R bytes per pixel:
exactly OpenCV's BGR order, so frames go to the detector, display and recorder with no conversion.
Sources: the Picamera2 manual, Appendix A (pixel formats: "RGB888 ... each pixel is laid out as
[B, G, R]"), and picamera2/helpers.py `make_image`, which hands "RGB888" buffers to PIL in raw
mode "BGR" (github.com/raspberrypi/picamera2).

No "lores" stream is used: a Pi 4 only produces it as YUV420 (Picamera2 refuses other formats
with "lores stream must be YUV"), and converting that costs more than the detector's own resize
of the main image to 300x300; a frame also carries one image through the pipeline.
"""

from __future__ import annotations

import time
from contextlib import suppress
from typing import Any

from camapp.errors import SourceError
from camapp.hw.imx500 import link_for
from camapp.hw.picam import import_picamera2
from camapp.sources.base import SourceLost
from camapp.types import Frame

DEFAULT_SIZE = (1280, 720)


def parse_spec(spec: str) -> int:
    """`picam` -> 0, `picam:N` -> N."""
    if spec == "picam":
        return 0
    head, _, tail = spec.partition(":")
    if head != "picam" or not tail.isdigit():
        raise SourceError(f"bad Pi camera source {spec!r}: use picam or picam:N (N = 0, 1, ...)")
    return int(tail)


def _chain_text(exc: BaseException) -> str:
    """The exception and what it was raised from: Picamera2 wraps the real cause in a generic one."""
    parts: list[str] = []
    seen: BaseException | None = exc
    while seen is not None and len(parts) < 5:
        parts.append(str(seen))
        seen = seen.__cause__ or seen.__context__
    return " | ".join(parts)


class PicameraSource:
    """A `Source` on Picamera2: a live camera whose frames arrive in BGR, ready for OpenCV."""

    live = True

    def __init__(
        self,
        spec: str = "picam",
        *,
        width: int | None = None,
        height: int | None = None,
        fps: float | None = None,
        realtime: bool = True,
        loop: bool = False,
    ) -> None:
        self.spec = spec
        self.camera_num = parse_spec(spec)
        self.name = f"Pi camera {self.camera_num}"
        self.realtime = True  # a camera delivers in real time whatever the caller asked
        self._want_size = (width or DEFAULT_SIZE[0], height or DEFAULT_SIZE[1])
        self._want_fps = fps
        self.fps: float | None = None
        self.size: tuple[int, int] | None = None
        self._cam: Any = None
        self._link: Any = None  # camapp.hw.imx500.SensorLink when the imx500 device reads this camera
        self._index = 0  # kept across reconnects, like every source

    def open(self) -> None:
        """Find the camera, claim it, and start a BGR main stream; `SourceError` says why not."""
        Picamera2 = import_picamera2().Picamera2
        try:
            cameras = list(Picamera2.global_camera_info())
        except Exception as exc:
            raise SourceError(f"libcamera cannot list cameras: {_first_line(exc)}") from None
        if not cameras:
            raise SourceError(
                "no Raspberry Pi camera found: check the ribbon cable (contacts facing the right way) "
                "and that `rpicam-hello --list-cameras` lists it"
            )
        if self.camera_num >= len(cameras):
            last = "" if len(cameras) == 1 else f"..picam:{len(cameras) - 1}"
            raise SourceError(
                f"Pi camera {self.camera_num} not found: {len(cameras)} camera(s) attached, use picam:0{last}"
            )
        try:
            cam = Picamera2(self.camera_num)
        except RuntimeError as exc:
            text = _chain_text(exc).lower()
            if "busy" in text or "in use" in text:
                raise SourceError(
                    f"{self.name} is busy: another process is using it (e.g. rpicam-hello, a "
                    "second camapp, or a service); stop it and try again"
                ) from None
            raise SourceError(f"{self.name} cannot be opened: {_first_line(exc)}") from None
        link = self._link = link_for(self.camera_num)  # an AI Camera whose network camapp reads
        try:
            fps = self._want_fps or (link.inference_rate if link else None)
            controls = {"FrameRate": float(fps)} if fps else {}
            config = cam.create_video_configuration(
                main={"size": self._want_size, "format": "RGB888"},
                controls=controls,
                buffer_count=12 if link else 4,  # the AI Camera's metadata rides on more requests in flight
            )
            cam.configure(config)
            if link:
                link.attach(cam)
            cam.start()
            actual = cam.camera_configuration()
        except Exception as exc:
            _close_quietly(cam)
            raise SourceError(f"{self.name} cannot start at {self._want_size}: {_first_line(exc)}") from None
        self._cam = cam
        w, h = actual["main"]["size"]
        self.size = (int(w), int(h))
        self.fps = _frame_rate(actual.get("controls") or {}) or self._want_fps

    def read(self) -> Frame | None:
        """The next frame (blocks until the camera delivers); `SourceLost` if the camera stopped."""
        if self._cam is None:
            raise SourceLost(f"{self.name} is not open")
        try:
            image, metadata = self._capture()
        except Exception as exc:  # libcamera timeouts and a pulled ribbon surface as RuntimeError & co.
            raise SourceLost(f"{self.name} stopped delivering frames: {_first_line(exc)}") from None
        if image is None or getattr(image, "ndim", 0) != 3 or image.shape[2] not in (3, 4):
            raise SourceLost(f"{self.name} delivered an unusable frame")
        if image.shape[2] == 4:  # XRGB8888 (B, G, R, X) if reconfigured elsewhere: drop the padding
            image = image[:, :, :3]
        if self._link is not None:
            self._link.publish(image, metadata)
        frame = Frame(image, time.monotonic(), self._index)
        self._index += 1
        return frame

    def _capture(self) -> tuple[Any, dict[str, Any] | None]:
        """The main image, with its metadata when an AI Camera network reads it (same request)."""
        if self._link is None:
            return self._cam.capture_array("main"), None
        request = self._cam.capture_request()
        try:
            return request.make_array("main"), request.get_metadata()
        finally:
            request.release()

    def close(self) -> None:
        cam, self._cam = self._cam, None
        if cam is not None:
            _close_quietly(cam)

    def __repr__(self) -> str:
        return f"PicameraSource({self.spec!r}, size={self.size}, fps={self.fps})"


def _frame_rate(controls: dict[str, Any]) -> float | None:
    """Picamera2 turns FrameRate into FrameDurationLimits (microseconds per frame)."""
    rate = controls.get("FrameRate")
    if rate:
        return float(rate)
    limits = controls.get("FrameDurationLimits")
    if limits and limits[0]:
        return round(1e6 / float(limits[0]), 2)
    return None


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def _close_quietly(cam: Any) -> None:
    """Closing a half-dead camera must not mask the error that got us here."""
    for method in ("stop", "close"):
        with suppress(Exception):
            getattr(cam, method)()
