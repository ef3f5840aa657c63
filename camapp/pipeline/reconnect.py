"""Getting a lost source back: retries with exponential backoff, said in the pipeline's state.

A mixin of `Pipeline` (camapp.pipeline.core), which owns the attributes it uses.
"""

from __future__ import annotations

import threading
import time
from typing import Any

from camapp.errors import SourceError


class Reconnecting:
    """`_reconnect` for the capture thread."""

    source: Any
    reconnect_delay: float
    reconnect_max_delay: float
    reconnect_timeout: float | None
    _halt: threading.Event
    _running: threading.Event

    def _set_state(self, state: str, message: str = "") -> None:
        raise NotImplementedError

    def _reconnect(self, reason: str) -> bool:
        """Retry with exponential backoff until the source is back, the timeout passes or stop()."""
        delay = self.reconnect_delay
        started = time.monotonic()
        attempt = 0
        while not self._halt.is_set():
            attempt += 1
            self._set_state("reconnecting", f"reconnecting… (attempt {attempt}): {reason}")
            self.source.close()
            if self._halt.wait(delay):
                return False
            delay = min(delay * 2, self.reconnect_max_delay)
            try:
                self.source.open()
            except SourceError as exc:
                reason = str(exc)
                if self.reconnect_timeout is not None and time.monotonic() - started > self.reconnect_timeout:
                    self._set_state("error", f"{self.source.name} lost: {reason}")
                    return False
                continue
            self._set_state("paused" if not self._running.is_set() else "running")
            return True
        return False
