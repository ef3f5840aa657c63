"""The hand-offs between pipeline stages: the frame queue and consumer backlogs."""

from __future__ import annotations

import threading
from collections import deque
from typing import Any

END = object()  # end of input, passed through the frame queue


class FrameQueue:
    """A bounded hand-off that either drops the oldest frame or blocks the producer."""

    def __init__(self, size: int, drop: bool) -> None:
        self.size = max(1, size)
        self.drop = drop
        self._items: deque[object] = deque()
        self._cond = threading.Condition()
        self._halted = False

    def put(self, item: object, force: bool = False) -> int:
        """Returns how many stale frames were dropped to make room."""
        dropped = 0
        with self._cond:
            if self.drop or force:
                while len(self._items) >= self.size and not force:
                    self._items.popleft()
                    dropped += 1
            else:
                while len(self._items) >= self.size and not self._halted:
                    self._cond.wait(0.1)
            if not self._halted or force:
                self._items.append(item)
            self._cond.notify_all()
        return dropped

    def get(self) -> object:
        with self._cond:
            while not self._items and not self._halted:
                self._cond.wait(0.1)
            item = self._items.popleft() if self._items else END
            self._cond.notify_all()
            return item

    def halt(self) -> None:
        with self._cond:
            self._halted = True
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
