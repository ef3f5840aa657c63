"""`VideoRecorder`: every result, annotated, into one crash-safe H.264 file, or a series of them."""

from __future__ import annotations

import datetime as dt
import logging
from pathlib import Path
from typing import TYPE_CHECKING

from camapp.record.base import ErrorCallback, Worker, describe
from camapp.record.encode import KEYINT, ClipWriter, Clock, Encoder, container_for
from camapp.record.segments import Segments
from camapp.render import annotate

if TYPE_CHECKING:
    from camapp.pipeline import Result

log = logging.getLogger("camapp.record")


class VideoRecorder(Worker):
    """Record annotated results to `path` (.mp4 = fragmented MP4, .mkv = Matroska).

    A Consumer for the pipeline: `submit()` never blocks; annotation and encoding run on the
    recorder's own thread behind a queue of `queue_size` results, and results that find the queue
    full are dropped and counted in `dropped`. Timestamps come from the frames (`media_time`, else
    the capture time), so a 10 fps clip makes a 10 fps file however fast it is processed.

    For the CLI: `VideoRecorder(args.record)`; for a GUI toggle: create one to start, `close()` to
    stop. The file is opened here: check `error` right after construction to fail fast on an
    unwritable path; a later write error (full disk) also lands in `error`, is logged as one line
    and passed to `on_error(message)` (called on the recorder thread), and the caller goes on.

    `queue_size=0` keeps every frame (unbounded queue) for files processed faster than real time.

    `close()` is idempotent; it encodes what is still queued (at most `queue_size` frames: 3 ms
    each at 768x432, 17 ms at 1080p here) and writes the trailer (~1 ms), so with the default it
    returns in under ~0.3 s. A kill -9 loses at most about `keyint` seconds: a keyframe, and with
    it a fragment/cluster on disk, every `keyint` s.

    With `segments`, `path` is a base name and the recording is cut into files named after it
    (see `camapp.record.segments`); `files` lists them. Only the file changes at a cut: the same
    thread and encoder go on, the new file's first frame is forced to a keyframe, and the frame
    after the last one of a file is the first of the next (no frame lost or repeated).
    """

    def __init__(
        self,
        path: str | Path,
        *,
        codec: str | None = None,
        keyint: float = KEYINT,
        queue_size: int = 16,
        on_error: ErrorCallback | None = None,
        segments: Segments | None = None,
    ) -> None:
        self.path = Path(path)
        self.segments = segments
        shown = segments.pattern if segments is not None else self.path
        super().__init__(f"recording {shown}", queue_size, on_error, name="camapp-video")
        container_for(self.path)  # a bad extension is a user mistake: CamappError now
        self.frames_written = 0
        self.files: list[Path] = []
        self._clock = Clock()
        self._encoder = Encoder(codec, keyint=keyint)
        self.codec = self._encoder.codec
        self._writer: ClipWriter | None = None
        self._closed_frames = 0  # frames in files already finished
        self._span: tuple[float, float] | None = None  # first and last frame time written
        self._segment_t0 = 0.0
        try:
            if segments is None:
                self._writer = ClipWriter(self.path, self._encoder)
                self.files.append(self.path)
            else:
                segments.check_writable()  # the first file is named when its first frame comes
        except Exception as exc:
            self.fail(f"cannot write {shown}: {describe(exc)}")
            return
        log.info("camapp: recording to %s (%s)", shown, self.codec)
        self._start()

    @property
    def elapsed(self) -> float:
        """Seconds of video written so far, all segments (frame time, not wall time)."""
        return self._span[1] - self._span[0] if self._span is not None else 0.0

    def _handle(self, result: Result) -> None:
        t = self._clock(result.frame)
        image = annotate(result.frame.image, result.detections, result.stats)
        cut = self.segments is not None and (
            self._writer is None or self.segments.due(t - self._segment_t0, self._writer.bytes)
        )
        if cut:
            self._cut(t)
        assert self._writer is not None
        self._writer.write(self._encoder.encode(image, t, key=cut))
        self.frames_written = self._closed_frames + self._writer.frames
        first, last = self._writer.first_t, self._writer.last_t
        if first is not None and last is not None:  # packet times, as in the file
            self._span = (self._span[0] if self._span else first, last)

    def _cut(self, t: float) -> None:
        """Finish the current file and open the next one for the frame at `t`."""
        assert self.segments is not None
        old, self._writer = self._writer, None
        if old is not None:
            # zerolatency / no B-frames: every frame's packet is already out, nothing to flush
            old.close()
            self._closed_frames += old.frames
            log.info("camapp: recorded %d frames (%.1f s) to %s", old.frames, old.elapsed, old.path)
        path = self.segments.path_for(dt.datetime.now())
        self._writer = ClipWriter(path, self._encoder)  # an error here stops recording (Worker.fail)
        self._segment_t0 = t
        self.files.append(path)
        log.info("camapp: recording to %s", path)
        self.segments.prune(current=path)

    def _finish(self) -> None:
        writer = self._writer
        if writer is None:
            return
        try:
            if self.error is None:
                writer.write(self._encoder.flush())
                self.frames_written = self._closed_frames + writer.frames
        finally:
            writer.close()
        if self.error is None:
            log.info("camapp: recorded %d frames (%.1f s) to %s", writer.frames, writer.elapsed, writer.path)
