"""What the pipeline hands out (`Result`) and to whom (`Consumer`), plus a queued consumer base."""

from __future__ import annotations

import logging
import queue
import threading
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from camapp.pipeline.stats import Stats
from camapp.types import Detections, Frame

log = logging.getLogger(__name__)


@dataclass(frozen=True, eq=False)
class Result:
    """Detections with the very frame they were computed from, and the stats at that moment."""

    frame: Frame
    detections: Detections
    stats: Stats


@runtime_checkable
class Consumer(Protocol):
    """Receives every result. `submit` runs on the pipeline's thread and must not block."""

    def submit(self, result: Result) -> None: ...

    def close(self) -> None: ...


_CLOSE = object()


class QueuedConsumer:
    """Base for consumers doing real work (drawing, encoding, writing) in their own thread.

    Subclasses override `handle(result)` and optionally `finish()`. With `lossless=False` a full
    queue drops its oldest result (counted in `dropped`), so a slow consumer never stalls
    detection; with `lossless=True` the queue is unbounded (recordings of files processed
    faster than real time must keep every frame).
    """

    def __init__(self, name: str = "consumer", *, maxsize: int = 4, lossless: bool = False) -> None:
        self.name = name
        self.lossless = lossless
        self.dropped = 0
        self.handled = 0
        self.error: BaseException | None = None
        self._queue: queue.Queue[object] = queue.Queue(0 if lossless else maxsize)
        self._closed = False
        self._thread = threading.Thread(target=self._run, name=f"camapp-{name}", daemon=True)
        self._thread.start()

    def submit(self, result: Result) -> None:
        if self._closed:
            return
        while True:
            try:
                self._queue.put_nowait(result)
                return
            except queue.Full:
                try:
                    self._queue.get_nowait()
                    self.dropped += 1
                except queue.Empty:
                    pass

    @property
    def backlog(self) -> int:
        """Results queued and not handled yet (the pipeline waits on it when nothing may drop)."""
        return self._queue.qsize()

    @property
    def thread(self) -> threading.Thread:
        """The thread doing the work (the pipeline lowers its priority when inference needs every core)."""
        return self._thread

    def handle(self, result: Result) -> None:
        raise NotImplementedError

    def finish(self) -> None:
        """Called once on the consumer's thread after the last result."""

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            self._queue.put(_CLOSE)
        self._thread.join()

    def _run(self) -> None:
        while True:
            item = self._queue.get()
            if item is _CLOSE:
                break
            if self.error is not None:
                continue
            try:
                self.handle(item)  # type: ignore[arg-type]
                self.handled += 1
            except Exception as exc:  # keep draining so the pipeline never blocks on us
                self.error = exc
                log.exception("%s failed", self.name)
        try:
            self.finish()
        except Exception as exc:
            self.error = self.error or exc
            log.exception("%s failed to finish", self.name)
