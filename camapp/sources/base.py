"""What every frame source offers: open, read stamped frames, close.

A source reports what it really delivers (`fps`, `size`), not what was asked for, because
cameras silently fall back to the nearest mode they support.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from camapp.errors import SourceError
from camapp.types import Frame


class SourceLost(Exception):
    """A transient loss (camera unplugged, stream dropped): the pipeline reconnects with backoff.

    Not a `CamappError`: it is never shown to the user as a failure, only as "reconnecting…".
    """


@runtime_checkable
class Source(Protocol):
    """A camera, file or stream.

    `open()` raises `SourceError` with a one-line reason and may be called again after
    `close()` to reconnect. `read()` returns the next frame (stamped with `time.monotonic()`,
    a running index and, for files, `media_time`), None at the end of input, and raises
    `SourceLost` on a transient loss.

    Optional attributes the pipeline reads with `getattr`: `live` (True for cameras and streams:
    frames keep coming whether or not they are read; False for files) and `realtime` (False when
    a file is read as fast as possible, so the pipeline applies backpressure instead of dropping).
    """

    name: str
    fps: float | None
    size: tuple[int, int] | None

    def open(self) -> None: ...

    def read(self) -> Frame | None: ...

    def close(self) -> None: ...


__all__ = ["Frame", "Source", "SourceError", "SourceLost"]
