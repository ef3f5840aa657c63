"""The "auto" resolution multiplier: walk the detector's input-size ladder to hold a target rate.

A small pure class fed with measured rates, so its behaviour (hysteresis, no oscillation) is
tested deterministically with per-rung timings rather than with a loaded machine.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


class RungPolicy:
    """Chooses a rung from the measured processing rate (frames/s the detector can sustain).

    - Steps **down** one rung when the median rate over `settle` samples falls below
      `target * (1 - slack)`.
    - Steps **up** one rung only when the larger rung is expected to hold `target * (1 + headroom)`:
      its own measured rate if it was tried recently, else this rung's rate scaled by pixel count.
    - A rung that proved too slow is remembered; it is re-tried only after `reprobe` samples, and
      that wait doubles after every failed re-try, so a borderline load cannot make it oscillate.
    """

    def __init__(
        self,
        sizes: Sequence[int],
        target_fps: float,
        *,
        start: int | None = None,
        settle: int = 8,
        slack: float = 0.05,
        headroom: float = 0.15,
        reprobe: int = 200,
    ) -> None:
        if not sizes:
            raise ValueError("the ladder needs at least one input size")
        if target_fps <= 0:
            raise ValueError("target fps must be positive")
        self.sizes = tuple(sorted(set(sizes)))  # ascending
        self.target = float(target_fps)
        self.settle = settle
        self.slack = slack
        self.headroom = headroom
        self.reprobe = reprobe
        self.current = start if start in self.sizes else self.sizes[-1]
        self.switches = 0
        self._samples: list[float] = []
        self._clock = 0  # samples seen, the policy's only notion of time
        self._known: dict[int, tuple[float, int]] = {}  # rung -> (median fps, clock when measured)
        self._wait: dict[int, int] = {}  # rung -> samples to wait before re-trying it
        self._came_from: int | None = None

    def update(self, size: int, fps: float) -> int:
        """Feed one measurement taken at `size`; returns the rung to use from now on."""
        self._clock += 1
        if size != self.current or fps <= 0:
            return self.current  # a frame from before the last switch took effect
        self._samples.append(fps)
        if len(self._samples) < self.settle:
            return self.current
        rate = float(np.median(self._samples[-self.settle :]))
        self._known[size] = (rate, self._clock)
        i = self.sizes.index(size)
        if rate < self.target * (1.0 - self.slack) and i > 0:
            probing = self._came_from == self.sizes[i - 1] and len(self._samples) == self.settle
            if probing:  # a failed probe upwards: wait longer before the next one
                self._wait[size] = self._wait.get(size, self.reprobe) * 2
            return self._switch(self.sizes[i - 1])
        if i + 1 < len(self.sizes) and self._expected(self.sizes[i + 1], size, rate) >= self.target * (
            1.0 + self.headroom
        ):
            return self._switch(self.sizes[i + 1])
        return self.current

    def reject(self, size: int, fallback: int) -> None:
        """`size` cannot be used (its build failed): drop it from the ladder, stay at `fallback`."""
        self.sizes = tuple(s for s in self.sizes if s != size) or (fallback,)
        self.current = fallback if fallback in self.sizes else self.sizes[-1]
        self._samples = []

    def _expected(self, bigger: int, size: int, rate: float) -> float:
        known = self._known.get(bigger)
        if known is not None and self._clock - known[1] < self._wait.get(bigger, self.reprobe):
            return known[0]
        return rate * (size / bigger) ** 2

    def _switch(self, size: int) -> int:
        self._came_from = self.current
        self.current = size
        self.switches += 1
        self._samples = []
        return size
