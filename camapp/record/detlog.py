"""`DetectionLog`: one JSON line per processed frame (`--log FILE`), plus tracking events.

With tracking, boxes carry `track_id` (-1 for a box not yet confirmed as an object, so the ids
in the log are the objects the summary counts; `predicted: true` when the tracker, not the
detector, placed them), and crossings and zone entries/exits follow their frame's line as event lines:
`{"event": "cross", "line", "direction", "track_id", "label", "t"}`,
`{"event": "enter"|"exit", "zone", "track_id", "label", "t"}` (exit adds `dwell`, seconds).
After a lost source comes back, its first frame's line is followed by
`{"event": "reconnected", "t", "gap_s"}`: `gap_s` seconds passed without frames before it.
A frame on which objects started, changed or ended (`camapp.pipeline.objects`, with and without
tracking) lists them in its line: `"objects": [{"type": "start"|"update"|"end", "id", "label", ...}]`.
"""

from __future__ import annotations

import json
import logging
import time
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, ClassVar

from camapp.outputs import OutputError, create
from camapp.record.base import ErrorCallback, Report, Worker, describe
from camapp.record.encode import frame_time

if TYPE_CHECKING:
    from camapp.pipeline import Result

log = logging.getLogger("camapp.record")


def log_line(result: Result, t: float) -> dict[str, Any]:
    """`{"frame", "t", "input_size", "detections"}`; detections as `camapp detect --json` prints them.
    A frame whose boxes all come from the tracker's prediction adds `"predicted": true`, one on
    which objects started, changed or ended adds `"objects"`."""
    size = getattr(result.stats, "input_size", None)
    line = {
        "frame": int(result.frame.index),
        "t": round(t, 4),
        "input_size": list(size) if isinstance(size, tuple) else size,
        "detections": result.detections.to_list(),
    }
    track = getattr(result, "track", None)
    if track is not None and track.predicted:
        line["predicted"] = True
    if result.objects is not None and result.objects.events:
        line["objects"] = [e.to_dict() for e in result.objects.events]
    return line


class DetectionLog(Worker):
    """Write one JSON line per submitted result to a new `path` (an existing one only with
    `overwrite`, as `VideoRecorder`).

    `t` is the file position in seconds (`media_time`) when the source has one, else seconds since
    the first logged frame. Boxes are xyxy in source pixels. Lines are flushed to the OS at least
    every `flush_every` seconds, so a crash loses at most about that much. `submit()` never blocks;
    `close()` writes what is queued and closes the file. Errors: as `VideoRecorder`.
    """

    slot: ClassVar[str] = "log"

    def __init__(
        self,
        path: str | Path,
        *,
        flush_every: float = 0.5,
        queue_size: int = 1000,
        on_error: ErrorCallback | None = None,
        overwrite: bool = False,
    ) -> None:
        self.path = Path(path)
        super().__init__(f"detection log {self.path}", queue_size, on_error, name="camapp-detlog")
        self.flush_every = flush_every
        self.lines = 0
        self._t0: float | None = None
        self._flushed = time.monotonic()
        self._file: IO[str] | None = None
        try:  # created exclusively and locked while written (camapp.outputs)
            self._file = create(self.path, overwrite=overwrite, binary=False)[0]
        except OutputError:
            raise
        except OSError as exc:
            self.fail(f"cannot write {self.path}: {describe(exc)}")
            return
        self._start()

    def report(self) -> Report:
        return Report(str(self.path), self.lines)

    def _handle(self, result: Result) -> None:
        frame = result.frame
        if frame.media_time is not None:
            t = frame.media_time
        else:
            if self._t0 is None:
                self._t0 = frame_time(frame)
            t = frame.timestamp - self._t0
        assert self._file is not None
        self._file.write(json.dumps(log_line(result, t), separators=(",", ":")) + "\n")
        self.lines += 1
        track = getattr(result, "track", None)
        for event in track.events if track is not None else ():
            self._file.write(json.dumps(event, separators=(",", ":")) + "\n")
            self.lines += 1
        gap = getattr(result, "resumed", None)
        if gap is not None:  # the gap in `t` is a reconnect, not lost lines
            marker = {"event": "reconnected", "t": round(t, 4), "gap_s": round(gap, 3)}
            self._file.write(json.dumps(marker, separators=(",", ":")) + "\n")
            self.lines += 1
        now = time.monotonic()
        if now - self._flushed >= self.flush_every or self._queue.empty():
            self._file.flush()
            self._flushed = now

    def _finish(self) -> None:
        file, self._file = self._file, None
        if file is not None:
            try:
                file.flush()
            finally:
                file.close()
