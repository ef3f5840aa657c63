"""The hand-offs between pipeline stages: the frame queue and consumer backlogs."""

from __future__ import annotations

import logging
import threading
from collections import deque
from collections.abc import Callable
from typing import Any

log = logging.getLogger(__name__)

END = object()  # end of input, passed through the frame queue


class FrameQueue:
    """A bounded hand-off that either drops the oldest frame or blocks the producer.

    A frame pushed out by a newer one counts as dropped once a later frame is taken for
    processing (`on_drop(n)`, on the taking thread): frames still waiting when the run stops
    (`halt()`) were not dropped, the run just ended before them.
    """

    def __init__(self, size: int, drop: bool, on_drop: Callable[[int], None] | None = None) -> None:
        self.size = max(1, size)
        self.drop = drop
        self.on_drop = on_drop
        self._items: deque[object] = deque()
        self._cond = threading.Condition()
        self._halted = False
        self._evicted = 0  # pushed out since the last frame was taken

    def put(self, item: object, force: bool = False) -> int:
        """Returns how many stale frames were pushed out to make room."""
        dropped = 0
        with self._cond:
            if self._halted and not force:
                return 0  # the run is over: nothing is pushed out, nothing is queued
            if self.drop or force:
                while len(self._items) >= self.size and not force:
                    self._evict()
                    dropped += 1
            else:
                while len(self._items) >= self.size and not self._halted:
                    self._cond.wait(0.1)
            if not self._halted or force:
                self._items.append(item)
            self._cond.notify_all()
        return dropped

    def _evict(self) -> None:
        """Push out the oldest item (under the lock)."""
        self._items.popleft()
        self._evicted += 1

    def get(self) -> object:
        with self._cond:
            while not self._items and not self._halted:
                self._cond.wait(0.1)
            item = self._items.popleft() if self._items else END
            settled, self._evicted = self._evicted, 0
            self._cond.notify_all()
        if settled and self.on_drop is not None:
            self.on_drop(settled)
        return item

    def halt(self) -> None:
        with self._cond:
            self._halted = True
            self._evicted = 0  # their newer frames were never taken: not drops
            self._cond.notify_all()


def backlog(consumer: Any) -> int:
    """Results a consumer has queued but not handled yet (0 when it cannot say).

    Consumers may expose `backlog` (an int property, as `camapp.record.base.Worker` does, or a
    method).
    """
    value = getattr(consumer, "backlog", None)
    if value is None:
        return 0
    return int(value() if callable(value) else value)


class Sequencer:
    """Hands results on in the order their frames were taken, on a delivery thread of its own.

    Lanes finish frames out of order, but recorders and logs need them in order. Each inference
    thread `ticket`s its frame and `put`s the result under that ticket, then goes straight back
    to its next frame: decoding and handing on run here, beside the next invoke. `window`
    bounds the tickets out at once (in flight or waiting), so memory stays flat when delivery
    is slow.
    """

    def __init__(
        self,
        emit: Callable[[Any], None],
        window: int,
        on_error: Callable[[Exception], None] = lambda exc: None,
        name: str = "camapp-deliver",
    ) -> None:
        self._emit = emit
        self._on_error = on_error
        self.window = max(1, window)
        self._cond = threading.Condition()
        self._issued = 0  # next ticket
        self._next = 0  # next ticket to deliver
        self._ready: dict[int, object] = {}
        self._closed = False  # no more tickets: deliver what is left, then end
        self._halted = False  # end now
        self.thread = threading.Thread(target=self._run, name=name, daemon=True)

    def start(self) -> None:
        self.thread.start()

    def ticket(self) -> int | None:
        """The next ticket, once fewer than `window` are out; None after `halt()` or `close()`."""
        with self._cond:
            while self._issued - self._next >= self.window and not (self._halted or self._closed):
                self._cond.wait(0.1)
            if self._halted or self._closed:
                return None
            self._issued += 1
            return self._issued - 1

    @property
    def issued(self) -> int:
        with self._cond:
            return self._issued

    def put(self, ticket: int, result: object | None) -> None:
        """The result for `ticket` (None: nothing to deliver, e.g. the end of input)."""
        with self._cond:
            self._ready[ticket] = result
            self._cond.notify_all()

    def close(self, timeout: float | None = None) -> None:
        """No more tickets: deliver every result put, in order, then end the thread."""
        with self._cond:
            self._closed = True
            self._cond.notify_all()
        if self.thread.is_alive() and self.thread is not threading.current_thread():
            self.thread.join(timeout)

    def halt(self) -> None:
        """End now; results not yet delivered are dropped."""
        with self._cond:
            self._halted = True
            self._cond.notify_all()

    def _run(self) -> None:
        while True:
            with self._cond:
                while not self._halted and self._next not in self._ready:
                    if self._closed and self._next >= self._issued:
                        return
                    self._cond.wait(0.1)
                if self._halted:
                    return
                item = self._ready.pop(self._next)
                self._next += 1
                self._cond.notify_all()
            if item is None:
                continue
            try:
                self._emit(item)
            except Exception as exc:  # never die silently: the lanes would wait for tickets for ever
                log.exception("delivering a result failed")
                self.halt()
                self._on_error(exc)
                return
