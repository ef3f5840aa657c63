"""Getting a lost source back: retries with exponential backoff, said in the pipeline's state.

The give-up clock (`timeout`) runs from the last frame of a source that was really producing,
not from the last successful open: a camera or server that accepts every connection, hands out
one frame and then stalls (a hung MJPEG server does exactly that) is lost, not "back" each time.
A connection counts as producing from its second frame on; its first frame is delivered but
does not stop the clock or reset the attempt count.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterator

from camapp.errors import SourceError
from camapp.sources.base import Source

# said to the pipeline: (state, message), as `Pipeline._set_state` takes them
StateSink = Callable[[str, str], None]


def backoff(first: float, most: float) -> Iterator[float]:
    """`first`, then twice the last delay each time, never more than `most`."""
    delay = first
    while True:
        yield delay
        delay = min(delay * 2, most)


class Reconnector:
    """The capture thread's side of a lost source, owned by a `Pipeline`.

    `frame()` after every frame read, `lost(reason)` when a read raises `SourceLost`. `wait(s)`
    sleeps up to `s` seconds and returns True when the run is stopping (the pipeline's halt
    event); `running()` says whether the pipeline is paused.
    """

    def __init__(
        self,
        source: Source,
        *,
        delay: float,
        max_delay: float,
        timeout: float | None,
        say: StateSink,
        wait: Callable[[float], bool],
        running: Callable[[], bool],
    ) -> None:
        self.source = source
        self.delay = delay
        self.max_delay = max_delay
        self.timeout = timeout
        self._say = say
        self._wait = wait
        self._running = running
        self.attempts = 0  # attempts since the source last produced frames
        self.reconnects = 0  # successful reopens in the run
        self.last_frame = time.monotonic()  # the give-up clock: last frame of a producing source
        self._delays: Iterator[float] | None = None
        self._frames_on_connection = 0
        self._last_read = self.last_frame  # the latest frame read, producing or not
        self._gap_from: float | None = None  # the last frame before an outage, until one ends it

    def start(self) -> None:
        """The run starts now: the clock starts even if no frame ever comes."""
        self.last_frame = self._last_read = time.monotonic()
        self._frames_on_connection = 0

    def frame(self) -> float | None:
        """A frame was read. Returns the seconds without frames it ends when it is the first
        frame after a reopen (for the log's "reconnected" line), else None."""
        now = self._last_read = time.monotonic()
        self._frames_on_connection += 1
        gap = None
        if self._gap_from is not None and self._frames_on_connection == 1:
            gap, self._gap_from = now - self._gap_from, None
        if self._frames_on_connection >= 2:
            self.last_frame = now
            if self.attempts:  # producing again: the next outage starts from scratch
                self.attempts, self._delays = 0, None
                self._say("paused" if not self._running() else "running", "")
        return gap

    def lost(self, reason: str) -> bool:
        """Retry with backoff until the source opens again (True), or the timeout since the last
        frame passes or the run stops (False; on timeout the state is "error", "NAME lost: ...")."""
        if self._gap_from is None:
            self._gap_from = self._last_read
        if self._delays is None:
            self._delays = backoff(self.delay, self.max_delay)
        assert self._delays is not None
        while True:
            remaining = self._remaining()
            if remaining <= 0:
                silent = time.monotonic() - self.last_frame
                self._say(
                    "error", f"{self.source.name} lost: no steady frames for {silent:.1f} s; last: {reason}"
                )
                return False
            self.attempts += 1
            self._say("reconnecting", f"reconnecting… (attempt {self.attempts}): {reason}")
            self.source.close()
            if self._wait(min(next(self._delays), remaining)):
                return False
            try:
                self.source.open()
            except SourceError as exc:
                reason = str(exc)
                continue
            self.reconnects += 1
            self._frames_on_connection = 0
            return True

    def _remaining(self) -> float:
        if self.timeout is None:
            return math.inf
        return self.last_frame + self.timeout - time.monotonic()


__all__ = ["Reconnector", "backoff"]
