"""Timing the rungs of a detector on this machine: the milliseconds the app's slider shows.

Kept apart from the detector itself: timing is a start-up and benchmark concern, not inference.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable

import numpy as np

from camapp.detect.cpu import TFLiteDetector


def bench_rungs(
    detector: TFLiteDetector,
    image_bgr: np.ndarray,
    runs: int = 20,
    rounds: int = 3,
    progress: Callable[[int, int], None] | None = None,
    cancelled: Callable[[], bool] = lambda: False,
) -> dict[int, float]:
    """Median invoke-only milliseconds per rung, `runs` invokes per rung in each of `rounds`.

    Every rung is built before any is timed (a build running beside a timing inflated it), and
    rounds go over all rungs in turn, so load from other processes falls on every rung alike.
    `progress(step, steps)` reports each build and timing step; `cancelled()` is checked before
    each, and a cancel returns what was timed by then.
    """
    sizes = list(detector.input_sizes)
    steps = len(sizes) * (1 + rounds)
    for n, size in enumerate(sizes):
        if cancelled():
            return {}
        if progress:
            progress(n, steps)
        detector.prepare([size])
    times: dict[int, list[float]] = {}
    step = len(sizes)
    for _ in range(rounds):
        for size in sizes:
            if cancelled():
                return {s: statistics.median(t) for s, t in times.items()}
            if progress:
                progress(step, steps)
            step += 1
            times.setdefault(size, []).extend(detector.invoke_times(size, image_bgr, runs))
    return {s: statistics.median(t) for s, t in times.items()}
