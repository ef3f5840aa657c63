"""A consumer's worker thread behind a bounded queue, and error reporting.

Every recorder builds on `Worker`, and so does any other consumer doing real work per result
(`camapp bench` draws with one).

The pipeline calls `submit` from its own thread and must never wait on a disk, so `submit` only
puts the result on a bounded queue; when the queue is full the result is dropped and counted.
A write error (full disk, unwritable path) stops the recorder, sets `error`, logs one line and
calls `on_error`; the caller keeps running. (A segmented `VideoRecorder` pauses on a full disk
instead, and resumes at the next segment.)

`Recorder` is what the session sees of each recorder: its slot, and a `Report` of what it wrote.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any, ClassVar, Protocol, runtime_checkable

from camapp.pipeline.memory import frames_within

if TYPE_CHECKING:
    from camapp.pipeline import Result

log = logging.getLogger("camapp.record")

ErrorCallback = Callable[[str], None]
_STOP = object()


@dataclass(frozen=True)
class Report:
    """What a recorder has written so far (any thread): the status shows it as it is."""

    path: str  # the file, the segments' name pattern (`/data/cam-*.mp4`) or the folder
    frames: int  # frames written; the log: lines; snapshots: files
    elapsed: float = 0.0  # seconds of video (frame time)
    paused: bool = False  # a segmented video waiting for room
    pauses: int = 0
    frames_lost: int = 0  # frames not recorded while paused
    files: tuple[str, ...] | None = None  # video: every file written
    clips: tuple[str, ...] | None = None  # event clips: the finished clips
    writing: tuple[str, ...] | None = None  # event clips: the classes of the clip being written

    def to_dict(self) -> dict[str, Any]:
        """JSON-able; the entries a kind of recorder does not have (None) are left out."""
        return {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(self).items() if v is not None}


@runtime_checkable
class Recorder(Protocol):
    """A recorder as the session drives it: a pipeline consumer in one `slot` ("video", "events",
    "log", "snapshots") whose `report()` says what it wrote. `error` is its one-line failure,
    `dropped` the results it had no room for."""

    slot: ClassVar[str]
    what: str
    error: str | None

    @property
    def dropped(self) -> int: ...

    @property
    def running(self) -> bool: ...

    def report(self) -> Report: ...

    def submit(self, result: Result) -> None: ...

    def close(self, timeout: float | None = None) -> None: ...


def describe(exc: BaseException) -> str:
    """A one-line reason: the OS message when there is one ("No space left on device")."""
    reason = getattr(exc, "strerror", None) or str(exc) or type(exc).__name__
    return " ".join(str(reason).split())


class Worker:
    """Runs `_handle` on one thread for each queued item; subclasses finalize in `_finish`.

    `what` names the output in messages ("recording /x/clip.mp4"). `queue_size=0` makes the queue
    unbounded (lossless): for a file processed faster than real time, where every frame must be
    kept and memory, not frames, gives way.
    """

    frame_budget: int | None = None  # bytes of queued frames, for workers that keep whole frames

    def __init__(
        self, what: str, queue_size: int, on_error: ErrorCallback | None = None, name: str = "camapp-record"
    ) -> None:
        self.what = what
        self.on_error = on_error
        self.error: str | None = None
        self._queue_drops = 0  # written by the submitting thread only
        self._queue: queue.Queue[Any] = queue.Queue(maxsize=max(0, queue_size))
        self._closed = False
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._started = False

    def _start(self) -> None:
        self._started = True
        self._thread.start()

    @property
    def running(self) -> bool:
        """True until `close()` or an error stopped the recorder."""
        return not self._closed and self.error is None

    @property
    def dropped(self) -> int:
        """Results not handled because the queue was full."""
        return self._queue_drops

    @property
    def backlog(self) -> int:
        """Items queued and not yet handled: the pipeline waits on it when nothing may drop."""
        return self._queue.qsize()

    @property
    def thread(self) -> threading.Thread:
        """The thread doing the work (the pipeline lowers its priority when inference needs every core)."""
        return self._thread

    def _offer(self, item: Any) -> bool:
        """Queue `item` without blocking; False (and counted in `dropped`) when it cannot be."""
        if not self.running:
            return False
        try:
            self._queue.put_nowait(item)
        except queue.Full:
            self._queue_drops += 1
            return False
        return True

    def submit(self, result: Result) -> None:
        """Hand over one pipeline result; returns at once (Consumer protocol). With a
        `frame_budget`, a bounded queue also holds no more than that many bytes of frames."""
        most = self._queue.maxsize
        if self.frame_budget and most:
            most = frames_within(result.frame.image.nbytes, self.frame_budget, most)
            if self._queue.qsize() >= most and self.running:
                self._queue_drops += 1  # as a full queue: 16 frames at 4K would be 400 MB
                return
        self._offer(result)

    def fail(self, exc: BaseException | str, *, quiet: bool = False) -> None:
        """Stop with a clear one-line message; the first error wins. `quiet`: not logged (the
        caller's summary reports it, and a run that failed to start has said why already)."""
        with self._lock:
            if self.error is not None:
                return
            reason = exc if isinstance(exc, str) else describe(exc)
            self.error = f"{self.what} stopped: {reason}"
        if not quiet:
            log.error("camapp: %s", self.error)
        if self.on_error is not None:
            try:
                self.on_error(self.error)
            except Exception:  # a broken callback must not take the recorder thread down
                log.exception("camapp: error callback failed")

    def _run(self) -> None:
        while True:
            item = self._queue.get()
            if item is _STOP:
                break
            if self.error is not None:
                self._discard(item)  # stopped by an error: drain without writing
                continue
            try:
                self._handle(item)
            except Exception as exc:
                self.fail(exc)
        try:
            self._finish()
        except Exception as exc:
            self.fail(exc)

    def close(self, timeout: float | None = None) -> None:
        """Finish the queued items, finalize the output and join the thread. Idempotent.

        Blocks for at most the time to process what is queued (`queue_size` items) plus the
        trailer and finalizing (`_finish`); `timeout` bounds the wait (the thread then finishes in the background).
        """
        with self._lock:
            first = not self._closed
            self._closed = True
        if first:
            if self._started:
                self._queue.put(_STOP)  # the queue is bounded, but the worker is draining it
            else:
                self._finish_safely()
        if self._started and self._thread is not threading.current_thread():
            self._thread.join(timeout)

    def _finish_safely(self) -> None:
        try:
            self._finish()
        except Exception as exc:
            self.fail(exc)

    def _handle(self, item: Any) -> None:
        raise NotImplementedError

    def _discard(self, item: Any) -> None:
        """An item that arrived after an error; subclasses release what waits on it."""

    def _finish(self) -> None:
        """Finalize the output; runs once, on the worker thread, after the last item."""

    def __enter__(self) -> Worker:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
