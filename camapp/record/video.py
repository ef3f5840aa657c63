"""`VideoRecorder`: every result, annotated, into one crash-safe H.264 file, or a series of them."""

from __future__ import annotations

import contextlib
import datetime as dt
import errno
import logging
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from camapp.outputs import OutputError
from camapp.pipeline.memory import WAITING_BYTES
from camapp.pipeline.objects import START
from camapp.record.base import ErrorCallback, Report, Worker, describe
from camapp.record.encode import KEYINT, ClipWriter, Clock, Encoder, container_for, frame_time
from camapp.record.finalizer import Finalizer, scan_folder, warn_unfinalized
from camapp.record.segments import EPS, Segments
from camapp.render import annotate

if TYPE_CHECKING:
    from camapp.pipeline import Result

log = logging.getLogger("camapp.record")

# Out of room (full disk, over quota, file-size limit): a segmented recording pauses and retries at
# the next segment, when pruning or the user may have made room. Other errors (folder gone,
# permission) stop it for good, as they do a single-file recording.
NO_ROOM = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EFBIG})
RETRY_SECONDS = 10.0  # frame time to wait after a pause when segments are cut by size only
SPANS = 16  # finished files whose times are kept, to place an object that started a while ago
WAIT_FRAMES = 64  # frames a start noted on a dropped frame waits for the queue to reach its time

# (object id, the file that shows its start, seconds into that file), on the recorder's thread
LinkCallback = Callable[[int, Path, float], None]
PrunedCallback = Callable[[list[Path]], None]  # files the segments' cap deleted


def out_of_room(exc: BaseException) -> bool:
    """A write error that freeing disk space can cure (PyAV's errors are OSErrors with errno)."""
    return isinstance(exc, OSError) and exc.errno in NO_ROOM


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

    An existing `path` is refused (`OutputError`) unless `overwrite`; the file is locked while
    written, so a second recorder on it fails at once and the first file stays intact.

    `queue_size=0` keeps every frame (unbounded queue) for files processed faster than real time.

    `close()` is idempotent; it encodes what is still queued (at most `queue_size` frames: 3 ms
    each at 768x432, 17 ms at 1080p here), writes the trailer (~1 ms), then finalizes an .mp4
    (0.5-2 s for 10 min of 720p here, see docs/playback.md). A kill -9 loses at most about `keyint` seconds: a keyframe, and with
    it a fragment/cluster on disk, every `keyint` s.

    With `segments`, `path` is a base name and the recording is cut into files named after it
    (see `camapp.record.segments`); `files` lists them. Only the file changes at a cut: the same
    thread and encoder go on, the new file's first frame is forced to a keyframe, and the frame
    after the last one of a file is the first of the next (no frame lost or repeated).

    A segmented recording that runs out of room (ENOSPC, EDQUOT, EFBIG) *pauses* instead of
    stopping: it closes the file (which plays up to about its last keyframe), logs one line, drops
    frames (counted in `dropped` and `frames_lost`, pauses in `pauses`) until the next segment
    would have started (`RETRY_SECONDS` of frame time when cut by size only), then prunes and
    opens a new file starting on a keyframe; if that fails for lack of room too, it pauses again.

    An .mp4 that ends cleanly (`close()`, a segment cut) is finalized into a regular MP4 that
    every player can seek (`camapp.record.finalize`): the last file on the recorder's thread inside
    `close()`, a cut segment on a finalizer thread while recording goes on. Files that could not be
    (a write error, no room for the copy) stay fragmented, still playable, and a log line gives the
    command that finishes them; `unfinalized` lists them. At its first frame the recorder also
    reports fragmented leftovers of crashed runs in the folder it records into.

    `on_link(object_id, file, offset)` hears, for each object that starts (the results' own object
    events), which file shows its first sighting and from how many seconds into it, once that frame
    is written: the event history plays an event from the continuous recording with it. A start
    on a frame the queue dropped, or while paused, is still placed (by its time).
    `on_pruned(files)` hears which files the segments' cap deleted. `held()` lists the files
    being written or finalized.
    """

    slot: ClassVar[str] = "video"

    def __init__(
        self,
        path: str | Path,
        *,
        codec: str | None = None,
        keyint: float = KEYINT,
        queue_size: int | None = None,
        on_error: ErrorCallback | None = None,
        segments: Segments | None = None,
        overwrite: bool = False,
        on_link: LinkCallback | None = None,
        on_pruned: PrunedCallback | None = None,
    ) -> None:
        self.path = Path(path)
        self.on_link = on_link
        self.on_pruned = on_pruned
        # object id -> its first sighting on the frames' clock (`frame_time`), set by submit()
        self._starts: dict[int, float] = {}
        self._starts_lock = threading.Lock()
        self._waits: dict[int, int] = {}  # object id -> frames its noted start waited to be reached
        self._spans: list[tuple[Path, float, float]] = []  # finished files: path, first, last time
        self.segments = segments
        shown = segments.pattern if segments is not None else self.path
        super().__init__(
            f"recording {shown}", 16 if queue_size is None else queue_size, on_error, name="camapp-video"
        )
        if queue_size is None:  # the default: 16 frames, fewer when large (2 at 4K)
            self.frame_budget = WAITING_BYTES
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
        self.pauses = 0  # times a segmented recording ran out of room and paused
        self.frames_lost = 0  # frames not recorded while paused (also in `dropped`)
        self._retry_at: float | None = None  # frame time of the next try while paused
        self._largest = 0  # bytes of the largest segment so far: the room a retry makes
        self._finalizer = Finalizer()
        self._finalize = self.path.suffix.lower() == ".mp4"  # Matroska is seekable as written
        self._broken: list[Path] = []  # files cut off by a write error: fragmented, not finalized
        self._scanned = False
        try:
            if segments is None:
                self._writer = ClipWriter(self.path, self._encoder, overwrite=overwrite)
                self.files.append(self.path)
            else:
                segments.check_writable()  # the first file is named when its first frame comes
        except OutputError:
            raise  # exists, or another run writes it: the caller's one-line error (exit 2)
        except Exception as exc:
            self.fail(f"cannot write {shown}: {describe(exc)}")
            return
        log.info("camapp: recording to %s (%s)", shown, self.codec)
        self._start()

    @property
    def elapsed(self) -> float:
        """Seconds of video written so far, all segments (frame time, not wall time)."""
        return self._span[1] - self._span[0] if self._span is not None else 0.0

    @property
    def dropped(self) -> int:
        """Queue-full drops plus frames lost while paused (each counted on its own thread)."""
        return super().dropped + self.frames_lost

    @property
    def paused(self) -> bool:
        """True while a segmented recording waits for the next segment after running out of room."""
        return self._retry_at is not None

    @property
    def unfinalized(self) -> list[Path]:
        """This run's .mp4 files left fragmented (they play, but browsers cannot seek them)."""
        return [*self._broken, *(p for p, _ in self._finalizer.failed)]

    @property
    def finalized(self) -> list[Path]:
        return [f.path for f in self._finalizer.done]

    def report(self) -> Report:
        """The file (or the segments' pattern), frames, seconds, pauses and files so far."""
        return Report(
            str(self.segments.pattern if self.segments is not None else self.path),
            self.frames_written,
            elapsed=self.elapsed,
            paused=self.paused,
            pauses=self.pauses,
            frames_lost=self.frames_lost,
            files=tuple(str(f) for f in list(self.files)),
        )

    def held(self) -> list[Path]:
        """The files this recorder writes or finalizes now: no cap may delete them (any thread)."""
        writer = self._writer if self.running else None  # a closed recorder's last file is done
        return ([writer.path] if writer is not None else []) + self._finalizer.held()

    def submit(self, result: Result) -> None:
        """As every recorder; the objects that start on a frame the queue drops are noted all the
        same (cheap), to be placed with the next frame written."""
        drops = self._queue_drops  # counted on this thread only
        super().submit(result)
        if self.on_link is not None and self._queue_drops > drops:
            self._note(result)

    def _note(self, result: Result) -> None:
        """Note when each object that starts on `result`'s frame was first seen (frame time)."""
        objects = result.objects
        if objects is None or not objects.events:
            return
        ft = frame_time(result.frame)
        with self._starts_lock:
            for e in objects.events:
                if e.type == START:
                    self._starts[e.id] = ft - (e.t - e.start)

    def _place(self, t: float, ft: float) -> None:
        """Tell `on_link` where the objects noted so far start: the frame at `t` (recording time,
        frame time `ft`) is written, and each start is at or before it."""
        with self._starts_lock:
            if not self._starts:
                return
            # a start noted by submit() on a dropped frame the queue has not reached yet waits
            # (a few frames at most: the queue is short); a loop or seek since: placed here
            ready = {}
            for object_id, start in list(self._starts.items()):
                waited = self._waits.get(object_id, 0)
                if ft - start >= -EPS or waited >= WAIT_FRAMES:
                    ready[object_id] = start
                    del self._starts[object_id]
                    self._waits.pop(object_id, None)
                else:
                    self._waits[object_id] = waited + 1
        if not ready:
            return
        writer = self._writer
        assert writer is not None and writer.first_t is not None
        spans = [*self._spans, (writer.path, writer.first_t, t)]
        for object_id, start in ready.items():
            back = ft - start
            at = t - back if 0 <= back < 3600 else t  # a loop or seek in between: this frame
            path, offset = _locate(spans, at)
            try:
                self.on_link(object_id, path, offset)  # type: ignore[misc]
            except Exception:  # a broken listener must not stop the recording
                log.exception("camapp: recording listener failed")

    def _handle(self, result: Result) -> None:
        if not self._scanned:  # here, not in __init__: the CLI mutes this logger while building
            self._scanned = True
            if self._finalize:
                warn_unfinalized(scan_folder(self.path.parent), "left by a run that stopped early")
        t = self._clock(result.frame)
        if self.on_link is not None:
            self._note(result)  # placed once a frame is written (not while paused)
        if self._retry_at is not None:
            if t < self._retry_at - EPS:
                self.frames_lost += 1
                return
            self._retry_at = None  # writer is None: this frame opens a new file
            resuming = True
        else:
            resuming = False
        image = annotate(result.frame.image, result.detections, result.stats, getattr(result, "track", None))
        cut = self.segments is not None and (
            self._writer is None or self.segments.due(t - self._segment_t0, self._writer.bytes)
        )
        try:
            if cut:
                self._cut(t, make_room=resuming)
            assert self._writer is not None
            self._writer.write(self._encoder.encode(image, t, key=cut))
        except OSError as exc:
            if self.segments is None or not out_of_room(exc):
                raise  # Worker.fail: stopped for good
            self._pause(exc, t)
            return
        if resuming:
            log.warning("camapp: %s resumed: %s", self.what, self._writer.path)
        self.frames_written = self._closed_frames + self._writer.frames
        if self.on_link is not None:
            self._place(t, frame_time(result.frame))
        first, last = self._writer.first_t, self._writer.last_t
        if first is not None and last is not None:  # packet times, as in the file
            self._span = (self._span[0] if self._span else first, last)

    def _cut(self, t: float, make_room: bool = False) -> None:
        """Finish the current file, prune, and open the next one for the frame at `t`."""
        assert self.segments is not None
        self._segment_t0 = t  # also when opening fails: a pause then lasts one segment from here
        old, self._writer = self._writer, None
        if old is not None:
            self._retire(old)
            # zerolatency / no B-frames: every frame's packet is already out, nothing to flush
            try:
                old.close()
            except OSError:  # its last fragment did not fit: what came before plays, unfinalized
                if self._finalize and old.frames:
                    self._broken.append(old.path)
                raise
            log.info("camapp: recorded %d frames (%.1f s) to %s", old.frames, old.elapsed, old.path)
            if self._finalize and old.frames:
                # off this thread: no gap at the cut; and the copy must leave room for the next file
                self._finalizer.submit(old.path, old.frames, reserve=self._largest)
        # before opening, room for a file as big as the largest yet: with a cap, a disk smaller than
        # the cap loops like a dashcam; after a full disk the oldest file goes in any case
        removed = self.segments.prune(
            at_least=int(make_room), room=self._largest, may_delete=self._finalizer.may_delete
        )
        if removed and self.on_pruned is not None:
            try:
                self.on_pruned(removed)
            except Exception:  # a broken listener must not stop the recording
                log.exception("camapp: recording listener failed")
        self._writer = ClipWriter(self.segments.path_for(dt.datetime.now()), self._encoder, auto_name=True)
        self.files.append(self._writer.path)
        log.info("camapp: recording to %s", self._writer.path)

    def _pause(self, exc: OSError, t: float, at_end: bool = False) -> None:
        """Out of room: close the broken file and drop frames until the next segment's time."""
        writer, self._writer = self._writer, None
        if writer is not None:
            self._retire(writer)
            # the trailer may not fit either; the fragments before it still play
            with contextlib.suppress(Exception):
                writer.close()
            if writer.frames == 0:  # a new file that took not even its first frame: no litter
                writer.path.unlink(missing_ok=True)
                if writer.path in self.files:
                    self.files.remove(writer.path)
            elif self._finalize:
                self._broken.append(writer.path)
        self.frames_written = self._closed_frames
        self.pauses += 1
        if at_end:
            log.warning("camapp: %s: the end of the file was not written: %s", self.what, describe(exc))
            return
        self.frames_lost += 1  # the frame that did not fit
        assert self.segments is not None
        seconds = self.segments.seconds
        self._retry_at = self._segment_t0 + seconds if seconds else t + RETRY_SECONDS
        when = "at the next segment" if seconds else f"in {RETRY_SECONDS:g} s"
        log.warning("camapp: %s paused: %s; retrying %s", self.what, describe(exc), when)

    def _retire(self, writer: ClipWriter) -> None:
        """Count a file that is done (cut or broken off) into the run's totals."""
        self._closed_frames += writer.frames
        self._largest = max(self._largest, writer.bytes)
        if writer.first_t is not None and writer.last_t is not None:
            self._spans = [*self._spans[-(SPANS - 1) :], (writer.path, writer.first_t, writer.last_t)]

    def _finish(self) -> None:
        try:
            self._finish_file()
        finally:
            self._finalizer.close()  # segments cut earlier: wait until they are finalized too
            if self._broken:
                warn_unfinalized(self._broken, "cut short by a write error")
            self._no_frames()

    def _no_frames(self) -> None:
        """A recording that got no frame (the source gave none, or none could be encoded) leaves
        no empty file behind, and is an error, never "ok"."""
        writer = self._writer
        if self.frames_written or (writer is not None and writer.frames):
            return
        if writer is not None:
            with contextlib.suppress(OSError):
                writer.close()  # idempotent; releases the lock before the file goes
            with contextlib.suppress(OSError):
                writer.path.unlink()
            if writer.path in self.files:
                self.files.remove(writer.path)
        self.fail("no frame was recorded, so no file was written", quiet=True)

    def _finish_file(self) -> None:
        writer = self._writer
        if writer is None:
            return
        try:
            try:
                if self.error is None:
                    writer.write(self._encoder.flush())
                    self.frames_written = self._closed_frames + writer.frames
            finally:
                writer.close()
        except OSError as exc:
            if self.segments is None or not out_of_room(exc):
                raise
            self._pause(exc, 0.0, at_end=True)  # the writer is closed already (close is idempotent)
            return
        if self.error is None:
            log.info("camapp: recorded %d frames (%.1f s) to %s", writer.frames, writer.elapsed, writer.path)
            if self._finalize and writer.frames:
                self._finalizer.run_now(writer.path, writer.frames)
        elif self._finalize and writer.frames:
            self._broken.append(writer.path)


def _locate(spans: list[tuple[Path, float, float]], at: float) -> tuple[Path, float]:
    """The file of `spans` (path, first and last frame time, oldest first) that shows time `at`,
    and the seconds into it: the last file that starts at or before it; a time in a gap between
    files (a pause) is the next file's start, one before every file the first file's start."""
    for i in range(len(spans) - 1, -1, -1):
        path, first, last = spans[i]
        if first <= at + EPS:
            if at > last + EPS and i + 1 < len(spans):
                return spans[i + 1][0], 0.0
            return path, round(max(0.0, at - first), 3)
    return spans[0][0], 0.0
