"""Frame sources, chosen from the spec string through an explicit registry.

`picam`/`picam:N` is the Raspberry Pi camera module (Picamera2); `sample:NAME` an installed sample
clip (`camapp samples fetch`); anything else — a camera index,
`/dev/videoN`, a file, an RTSP/HTTP URL or a GStreamer pipeline — goes to OpenCV.
"""

from __future__ import annotations

from collections.abc import Callable
from importlib import import_module
from typing import Any

from camapp.errors import SourceError
from camapp.sources.base import Source, SourceLost
from camapp.store.samples import expand_sample, is_sample

# kind -> "module:class"; each class takes (spec, *, width, height, fps, realtime, loop).
SOURCES: dict[str, str] = {
    "opencv": "camapp.sources.opencv:OpenCVSource",
    "picam": "camapp.sources.picamera:PicameraSource",
}


def source_kind(spec: str) -> str:
    """The registry key for a spec."""
    return "picam" if spec == "picam" or spec.startswith("picam:") else "opencv"


def make_source(
    spec: str,
    *,
    width: int | None = None,
    height: int | None = None,
    fps: float | None = None,
    realtime: bool = True,
    loop: bool = False,
) -> Source:
    """Build the source for `spec` without opening it (the GUI opens it off its own thread)."""
    spec = str(spec).strip()
    if not spec:
        raise SourceError("empty source: give a camera index, a file, a URL or 'picam'")
    if is_sample(spec):
        spec = expand_sample(spec)  # the installed clip, or a one-line "run camapp samples fetch"
    kind = source_kind(spec)
    module, cls = SOURCES[kind].split(":")
    try:
        factory: Callable[..., Source] = getattr(import_module(module), cls)
    except ImportError as exc:
        raise SourceError(f"{kind} sources are not available here: {exc}") from None
    return factory(spec, width=width, height=height, fps=fps, realtime=realtime, loop=loop)


def open_source(spec: str, **options: Any) -> Source:
    """Build (`make_source` options) and open the source for `spec`; `SourceError` on failure.

    The returned source is open: hand it to `Pipeline`, which reads it and closes it at `stop()`.
    """
    source = make_source(spec, **options)
    source.open()
    return source


__all__ = ["SOURCES", "Source", "SourceError", "SourceLost", "make_source", "open_source", "source_kind"]
