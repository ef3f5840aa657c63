"""H.264 encoding and crash-safe muxing with PyAV, shared by the video and event recorders.

Encoding and muxing are split on purpose: an `Encoder` turns annotated images into packets,
and a `ClipWriter` writes packets to one file. The event recorder needs exactly that split, to keep
a ring buffer of already-encoded packets as pre-roll and write it out when an event starts.

Crash safety comes from the container, not from `close()`:
- `.mp4` is fragmented MP4 (`frag_keyframe+empty_moov+default_base_moof`): a fragment is written at
  every keyframe, so a killed file plays up to its last keyframe.
- `.mkv` is Matroska with one cluster per second at most.
Keyframes are forced every `keyint` seconds of *frame time*, and libx264 runs with
`tune=zerolatency` (no lookahead, no B-frames), so no frames are held inside the encoder.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from fractions import Fraction
from pathlib import Path
from typing import Any, NamedTuple

import cv2
import numpy as np

from camapp.errors import CamappError
from camapp.outputs import create
from camapp.types import Frame

log = logging.getLogger("camapp.record")

# Preference order: H.264 through libx264, then OpenH264; MPEG-4 Part 2 is built into every FFmpeg.
CODECS: tuple[str, ...] = ("libx264", "libopenh264", "mpeg4")
# Muxer options per file extension; `flush_packets` hands each written packet to the OS at once.
CONTAINERS: dict[str, tuple[str, dict[str, str]]] = {
    ".mp4": ("mp4", {"movflags": "frag_keyframe+empty_moov+default_base_moof", "flush_packets": "1"}),
    ".mkv": ("matroska", {"cluster_time_limit": "1000", "flush_packets": "1"}),
}
KEYINT = 1.0  # seconds between forced keyframes: a killed file loses at most about this much
# libx264 speed/size trade-off. Recording shares the CPU with inference, so camapp takes the
# fastest: 1.28 ms per 768x432 frame against 2.05 ms for veryfast, for files about 1.7x larger
# (396 vs 238 kbit/s at 10 fps; `python -m camapp.cli.bench_record --preset`, README).
PRESET = "ultrafast"
X264_PRESETS = (
    "ultrafast",
    "superfast",
    "veryfast",
    "faster",
    "fast",
    "medium",
    "slow",
    "slower",
    "veryslow",
)


def container_for(path: Path) -> tuple[str, dict[str, str]]:
    """FFmpeg format name and options for `path`, chosen by its extension (.mp4 or .mkv)."""
    try:
        fmt, options = CONTAINERS[path.suffix.lower()]
    except KeyError:
        raise CamappError(
            f"cannot record to {path.name!r}: use a .mp4 (fragmented MP4) or .mkv (Matroska) file name"
        ) from None
    return fmt, dict(options)


def pick_codec(prefer: str | None = None, available: Iterable[str] | None = None) -> str:
    """The best video encoder PyAV's bundled FFmpeg has; says so once when it is not H.264."""
    import av

    have = set(av.codecs_available if available is None else available)
    if prefer is not None:
        if prefer not in have:
            raise CamappError(f"video encoder {prefer!r} is not in PyAV's FFmpeg build")
        return prefer
    for name in CODECS:
        if name in have:
            if name == "mpeg4":
                log.warning(
                    "camapp: libx264 is not in PyAV's FFmpeg build; recording as MPEG-4 Part 2 "
                    "(larger files, plays everywhere)"
                )
            return name
    raise CamappError("PyAV's FFmpeg build has no usable video encoder (libx264, libopenh264, mpeg4)")


def frame_time(frame: Frame) -> float:
    """Seconds on the recording's clock: file position when known, else the capture timestamp."""
    return frame.media_time if frame.media_time is not None else frame.timestamp


class Clock:
    """Maps frame times to a recording time that starts at 0 and always moves forward.

    A file source that loops or seeks jumps back in `media_time`; the clock then continues one
    frame interval after the last frame instead of writing timestamps out of order.
    """

    def __init__(self) -> None:
        self._offset: float | None = None
        self._last: float | None = None
        self._step = 1 / 30

    def __call__(self, frame: Frame) -> float:
        t = frame_time(frame)
        if self._offset is None:
            self._offset = -t
        rec = t + self._offset
        if self._last is not None:
            if rec <= self._last:
                self._offset += self._last + self._step - rec
                rec = self._last + self._step
            else:
                self._step = min(max(rec - self._last, 1e-3), 1.0)
        self._last = rec
        return rec


class Packet(NamedTuple):
    """An encoded frame, detached from PyAV so it can sit in a ring buffer and go to several files."""

    data: bytes
    pts: int
    dts: int
    key: bool


class Encoder:
    """Annotated BGR images -> encoded packets, with timestamps from the frames.

    The frame size is fixed by the first image (cropped to even sizes, as 4:2:0 needs);
    later images of another size are resized to it.
    """

    def __init__(
        self, codec: str | None = None, keyint: float = KEYINT, crf: int = 23, preset: str = PRESET
    ) -> None:
        self.codec = pick_codec(codec)
        self.keyint = keyint
        self.crf = crf
        self.preset = preset
        # 90 kHz is the MPEG clock; the MPEG-4 Part 2 encoder refuses time bases finer than 1/65535.
        self.time_base = Fraction(1, 1000) if self.codec == "mpeg4" else Fraction(1, 90000)
        self.size: tuple[int, int] | None = None  # (width, height)
        self._ctx: Any = None
        self._last_key: float | None = None
        self._last_pts = -1

    def _open(self, width: int, height: int) -> None:
        import av

        ctx = av.CodecContext.create(self.codec, "w")
        ctx.width, ctx.height = width, height
        ctx.pix_fmt = "yuv420p"
        ctx.time_base = self.time_base
        ctx.gop_size = 100000  # keyframes are forced by time in `encode`, not by frame count
        if self.codec == "libx264":
            ctx.options = {
                "preset": self.preset,
                "tune": "zerolatency",
                "crf": str(self.crf),
                "forced-idr": "1",
            }
        elif self.codec == "mpeg4":
            ctx.options = {"qscale": "4"}
            ctx.max_b_frames = 0
        ctx.open()
        self._ctx = ctx
        self.size = (width, height)

    def encode(self, image: np.ndarray, t: float, key: bool = False) -> list[Packet]:
        """Encode one BGR image shown at recording time `t` (seconds); returns its packets.

        `key=True` forces a keyframe (an IDR with libx264) now, e.g. for the first frame of a new
        file; otherwise one is forced every `keyint` seconds of frame time.
        """
        import av

        if self.size is None:
            h, w = image.shape[:2]
            if w < 2 or h < 2:
                raise ValueError(f"frame too small to encode: {w}x{h}")
            self._open(w - w % 2, h - h % 2)
        w, h = self.size  # type: ignore[misc]
        if image.shape[1] != w or image.shape[0] != h:
            ih, iw = image.shape[:2]
            if iw - iw % 2 == w and ih - ih % 2 == h:
                image = image[:h, :w]
            else:
                image = cv2.resize(image, (w, h), interpolation=cv2.INTER_AREA)
        yuv = cv2.cvtColor(np.ascontiguousarray(image), cv2.COLOR_BGR2YUV_I420)
        frame = av.VideoFrame.from_ndarray(yuv, format="yuv420p")
        pts = max(round(t / self.time_base), self._last_pts + 1)
        self._last_pts = pts
        frame.pts = pts
        frame.time_base = self.time_base
        if key or self._last_key is None or t - self._last_key >= self.keyint - 1e-6:
            frame.pict_type = av.video.frame.PictureType.I
            self._last_key = t
        return [_detach(p) for p in self._ctx.encode(frame)]

    def flush(self) -> list[Packet]:
        """Packets still inside the encoder (none with zerolatency, a few with other encoders)."""
        if self._ctx is None:
            return []
        try:
            return [_detach(p) for p in self._ctx.encode(None)]
        finally:
            self._ctx = None

    def seconds(self, pts: int) -> float:
        return float(pts * self.time_base)


def _detach(packet: Any) -> Packet:
    pts = int(packet.pts)
    dts = int(packet.dts) if packet.dts is not None else pts
    return Packet(bytes(packet), pts, dts, bool(packet.is_keyframe))


class ClipWriter:
    """One output file fed with packets from an `Encoder`; the first packet must be a keyframe.

    The file is opened at construction, so an unwritable path fails here, at once; it is created
    exclusively and locked until `close()` (`camapp.outputs.create`): an existing file is refused
    unless `overwrite`, and with `auto_name` a taken name becomes `name-2.ext`. Timestamps are
    shifted so each file starts at 0.

    camapp opens the file itself (unbuffered: each packet still reaches the OS at once) and hands
    it to PyAV, so `close()` always releases it: when FFmpeg cannot write a file's header (a full
    disk), PyAV 18 never closes a file it opened, which would hold the descriptor and, once the
    file is deleted, its disk space. Write errors surface as OSError with the OS's errno.
    """

    def __init__(
        self, path: str | Path, encoder: Encoder, *, overwrite: bool = False, auto_name: bool = False
    ) -> None:
        import av

        fmt, options = container_for(Path(path))
        self._encoder = encoder
        # created exclusively and locked while written (camapp.outputs: the output rule)
        self._file: Any
        self._file, self.path = create(path, overwrite=overwrite, auto_name=auto_name)
        try:
            self._container: Any = av.open(self._file, "w", format=fmt, options=options)
        except BaseException:
            self._file.close()
            raise
        self._stream: Any = None
        self._base: int | None = None
        self.frames = 0
        self.bytes = 0  # encoded payload written (container overhead not counted)
        self.first_t: float | None = None
        self.last_t: float | None = None

    def write(self, packets: Iterable[Packet]) -> None:
        import av

        for packet in packets:
            if self._stream is None:
                w, h = self._encoder.size  # type: ignore[misc]
                name = "mpeg4" if self._encoder.codec == "mpeg4" else "h264"
                self._stream = self._container.add_mux_stream(
                    name, width=w, height=h, time_base=self._encoder.time_base
                )
                self._base = packet.pts
            t = self._encoder.seconds(packet.pts)
            out = av.Packet(packet.data)
            out.pts = packet.pts - self._base
            out.dts = packet.dts - self._base
            out.is_keyframe = packet.key
            out.time_base = self._encoder.time_base
            out.stream = self._stream
            self._container.mux(out)
            self.frames += 1
            self.bytes += len(packet.data)
            if self.first_t is None:
                self.first_t = t
            self.last_t = t

    @property
    def elapsed(self) -> float:
        """Seconds of video written so far (first to last frame time)."""
        if self.first_t is None or self.last_t is None:
            return 0.0
        return self.last_t - self.first_t

    def close(self) -> None:
        """Write the trailer and close the file, which is closed even when the trailer fails. Idempotent."""
        container, self._container = self._container, None
        file, self._file = self._file, None
        try:
            if container is not None:
                container.close()
        finally:
            if file is not None:
                file.close()
