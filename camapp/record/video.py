"""`VideoRecorder`: every result, annotated, into one crash-safe H.264 file."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING

from camapp.record.base import ErrorCallback, Worker, describe
from camapp.record.encode import KEYINT, ClipWriter, Clock, Encoder, container_for
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
    """

    def __init__(
        self,
        path: str | Path,
        *,
        codec: str | None = None,
        keyint: float = KEYINT,
        queue_size: int = 16,
        on_error: ErrorCallback | None = None,
    ) -> None:
        self.path = Path(path)
        super().__init__(f"recording {self.path}", queue_size, on_error, name="camapp-video")
        container_for(self.path)  # a bad extension is a user mistake: CamappError now
        self.frames_written = 0
        self._clock = Clock()
        self._encoder = Encoder(codec, keyint=keyint)
        self.codec = self._encoder.codec
        self._writer: ClipWriter | None = None
        try:
            self._writer = ClipWriter(self.path, self._encoder)
        except Exception as exc:
            self.fail(f"cannot write {self.path}: {describe(exc)}")
            return
        log.info("camapp: recording to %s (%s)", self.path, self.codec)
        self._start()

    @property
    def elapsed(self) -> float:
        """Seconds of video written so far (frame time, not wall time)."""
        return self._writer.elapsed if self._writer is not None else 0.0

    def _handle(self, result: Result) -> None:
        t = self._clock(result.frame)
        image = annotate(result.frame.image, result.detections, result.stats)
        assert self._writer is not None
        self._writer.write(self._encoder.encode(image, t))
        self.frames_written = self._writer.frames

    def _finish(self) -> None:
        writer = self._writer
        if writer is None:
            return
        try:
            if self.error is None:
                writer.write(self._encoder.flush())
                self.frames_written = writer.frames
        finally:
            writer.close()
        if self.error is None:
            log.info(
                "camapp: recorded %d frames (%.1f s) to %s", self.frames_written, writer.elapsed, self.path
            )
