"""Recording stage: pipeline consumers that write video, event clips, snapshots and a detection log.

Each is a `camapp.pipeline.Consumer`: `submit(result)` never blocks (work happens on the
consumer's own thread behind a bounded queue; overflow is counted in `dropped`), `close()`
finalizes and is idempotent. Write errors stop only that consumer: `error` holds a one-line
message, which is also logged and passed to `on_error`.

Wiring for `camapp run`:
    --record FILE       -> VideoRecorder(FILE)              (.mp4 fragmented MP4, .mkv Matroska)
      --record-segment S, --record-segment-mb MB, --record-keep-mb MB
                        -> VideoRecorder(FILE, segments=Segments(FILE, S, MB, MB))
    --record-on CLASSES -> EventRecorder(DIR, CLASSES)      (DIR from --record-dir)
    --snapshot-dir DIR  -> SnapshotWriter(DIR, every=...)   (snapshot() for one on request)
    --log FILE          -> DetectionLog(FILE)               (JSON Lines)

An .mp4 that ends cleanly (close, a segment cut, the end of an event clip) is finalized into a
regular MP4 every player can seek (`camapp.record.finalize`, `camapp.record.finalizer`); one a crash
left fragmented is finished later with `camapp record finalize FILE`.
"""

from __future__ import annotations

from camapp.record.base import Recorder, Report
from camapp.record.detlog import DetectionLog
from camapp.record.encode import pick_codec
from camapp.record.events import Event, EventRecorder
from camapp.record.segments import Segments
from camapp.record.snapshots import SnapshotWriter
from camapp.record.video import VideoRecorder

__all__ = [
    "DetectionLog",
    "Event",
    "EventRecorder",
    "Recorder",
    "Report",
    "Segments",
    "SnapshotWriter",
    "VideoRecorder",
    "pick_codec",
]
