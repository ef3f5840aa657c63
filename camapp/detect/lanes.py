"""Frame-parallel inference: one single-thread interpreter per core, each on its own frames.

XNNPACK splits every layer of one invoke across its threads and waits for the slowest at each
layer, so with every core in one invoke the cores spend part of it waiting for each other, and
any decode or drawing work that takes a core stalls the whole invoke. Independent single-thread
interpreters have no such barrier. Measured here (2 cores, input 300): two 1-thread interpreters
side by side ran 117 invokes/s against 110 for one 2-thread interpreter, and a pipeline on them
kept 0.91-0.98x the 2-thread raw rate where one 2-thread interpreter kept 0.83-0.90x. Each frame
takes a 1-thread invoke's time, so a single frame waits longer: lanes are the choice for
throughput (files read as fast as possible), one many-thread interpreter for latency.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from camapp.errors import CamappError
from camapp.types import Detections


class Lanes:
    """`count` detectors on one model that share their settings; the pipeline runs one
    inference thread per lane. Outside a pipeline it detects with its first lane.

    Lanes own `first` from the call on: `close()` closes it, and so does a failure here.
    """

    def __init__(self, first: Any, count: int) -> None:
        lanes = [first]
        try:
            if count < 1:
                raise CamappError("lanes must be at least 1")
            if not callable(getattr(first, "twin", None)):
                raise CamappError(
                    f"the {first.device} detector cannot run frame-parallel lanes; use --schedule latency"
                )
            while len(lanes) < count:
                lanes.append(first.twin())
        except BaseException:
            for lane in lanes:
                lane.close()
            raise
        self.lanes: tuple[Any, ...] = tuple(lanes)
        self.device = first.device
        self.names: tuple[str, ...] = first.names

    @property
    def first(self) -> Any:
        return self.lanes[0]

    @property
    def threads(self) -> int:
        """Threads per lane (a lane's own interpreter threads, not the total)."""
        return int(self.first.threads)

    @property
    def threshold(self) -> float:
        return float(self.first.threshold)

    @threshold.setter
    def threshold(self, value: float) -> None:
        for lane in self.lanes:
            lane.threshold = value

    @property
    def classes(self) -> frozenset[int] | None:
        return self.first.classes  # type: ignore[no-any-return]

    @classes.setter
    def classes(self, value: frozenset[int] | None) -> None:
        for lane in self.lanes:
            lane.classes = value

    @property
    def last_invoke_ms(self) -> float:
        return float(self.first.last_invoke_ms)

    @property
    def native_size(self) -> int:
        return int(self.first.native_size)

    @property
    def input_size(self) -> int:
        return int(self.first.input_size)

    @property
    def input_sizes(self) -> tuple[int, ...]:
        return tuple(self.first.input_sizes)

    def set_input_size(self, size: int) -> None:
        for lane in self.lanes:
            lane.set_input_size(size)

    def prepare(self, sizes: Sequence[int] | None = None, timeout: float | None = None) -> None:
        for lane in self.lanes:
            lane.prepare(sizes, timeout)

    def input_tensor(self, image_bgr: np.ndarray) -> np.ndarray:
        return self.first.input_tensor(image_bgr)  # type: ignore[no-any-return]

    def detect(self, image_bgr: np.ndarray, tensor: np.ndarray | None = None) -> Detections:
        return self.first.detect(image_bgr, tensor)  # type: ignore[no-any-return]

    def infer(self, image_bgr: np.ndarray, tensor: np.ndarray | None = None) -> Callable[[], Detections]:
        return self.first.infer(image_bgr, tensor)  # type: ignore[no-any-return]

    def close(self) -> None:
        for lane in self.lanes:
            lane.close()
