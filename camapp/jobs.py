"""`SerialJobs`: commands that must not run on the caller's thread, one at a time, each answered
by a `Future`. The MQTT and notification controls use it so the GUI thread never waits on the
network while each change still builds on the one before it."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any


class SerialJobs:
    """One worker thread, started on the first job (a control nobody uses costs no thread)."""

    def __init__(self, name: str) -> None:
        self.name = name
        self._lock = threading.Lock()
        self._pool: ThreadPoolExecutor | None = None

    def submit(self, fn: Callable[..., Any], *args: Any) -> Future:
        with self._lock:
            if self._pool is None:
                self._pool = ThreadPoolExecutor(1, thread_name_prefix=self.name)
            return self._pool.submit(fn, *args)

    def close(self) -> None:
        """Let the job running now finish, cancel those waiting; a later job starts a new thread."""
        with self._lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)
