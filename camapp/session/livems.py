"""Rung timings that follow the stream: the live median of the rung that runs replaces its
start-up estimate.

Rungs are timed once, at start-up, on an idle pipeline; a running stream (capture, drawing,
recording beside the invoke) takes longer, and the slider's labels would then promise more than
the app delivers. Once one rung has run long enough for the pipeline's median to be about it
alone, that median becomes the rung's figure.
"""

from __future__ import annotations

import time
from typing import Any

# The pipeline's infer median covers its last 60 results (`StatsMeter(samples=60)`): after that
# many results at one rung, the median is that rung's alone.
SETTLE_RESULTS = 60
# A new figure is announced when it moved by more than this fraction, at most once per interval.
CHANGE = 0.05
INTERVAL_S = 2.0


class LiveRungs:
    """Feed every result's stats; `feed` returns True when a rung's live figure changed enough
    to be worth showing. Thread-safe enough for one feeder (the pipeline's delivery thread)."""

    def __init__(self, settle: int = SETTLE_RESULTS, interval_s: float = INTERVAL_S) -> None:
        self.settle = settle
        self.interval_s = interval_s
        self.ms: dict[int, float] = {}
        self._size = 0
        self._run = 0
        self._shown: dict[int, float] = {}
        self._last = float("-inf")  # the first figure is announced at once

    def reset(self) -> None:
        """A new detector: its rungs are other networks, so nothing measured before applies."""
        self.ms.clear()
        self._shown.clear()
        self._size, self._run = 0, 0

    def feed(self, stats: Any, now: float | None = None) -> bool:
        size, infer = int(stats.input_size), float(stats.infer_ms)
        if size != self._size:
            self._size, self._run = size, 0
        self._run += 1
        if self._run < self.settle or infer <= 0:
            return False
        self.ms[size] = infer
        now = time.monotonic() if now is None else now
        shown = self._shown.get(size)
        moved = shown is None or abs(infer - shown) > CHANGE * shown
        if not moved or now - self._last < self.interval_s:
            return False
        self._shown[size], self._last = infer, now
        return True

    def merged(self, startup: dict[int, float]) -> dict[int, float]:
        """Start-up figures, with each rung that has run replaced by its live median."""
        return {**startup, **self.ms}


def in_order(ms: dict[int, float]) -> dict[int, float]:
    """The figures to show per rung, never running backwards: each rung at least the slowest
    smaller one. A larger input does a smaller one's work and more, so a larger rung shown as
    faster is noise: a live median taken under load beside idle start-up figures, or a start-up
    timing disturbed by other work. Load only ever adds time, so the larger figure is the safe one."""
    shown: dict[int, float] = {}
    worst = 0.0
    for size in sorted(ms):
        worst = max(worst, ms[size])
        shown[size] = worst
    return shown
