"""What the pipeline reports: frame rates, inference time, latency and drops, over a short window."""

from __future__ import annotations

import threading
import time
from collections import deque
from dataclasses import dataclass

STATES = ("starting", "running", "reconnecting", "paused", "ended", "error")


@dataclass(frozen=True)
class Stats:
    """A snapshot; rates and times cover the last few seconds, counts the whole run."""

    capture_fps: float = 0.0
    inference_fps: float = 0.0
    infer_ms: float = 0.0  # median time of one invoke step (capture makes the tensor, delivery decodes)
    infer_ms_p95: float = 0.0
    latency_ms: float = 0.0  # median, capture timestamp -> result ready
    dropped: int = 0  # frames skipped as stale for a newer one that was processed (not those left at a stop)
    frames: int = 0  # frames processed
    predicted: int = 0  # of those, frames whose boxes the tracker predicted (no invoke)
    input_size: int = 0
    state: str = "starting"
    message: str = ""
    motion: str = ""  # under a motion gate "on" or "off", else ""
    detecting: bool = True  # False while detection is switched off (no frame detected)

    def line(self) -> str:
        """One human-readable line, as `camapp run` prints it."""
        text = (
            f"{self.state:<8} capture {self.capture_fps:5.1f} fps | inference {self.inference_fps:5.1f} fps"
            f" | infer {self.infer_ms:5.1f} ms (p95 {self.infer_ms_p95:.1f}) | latency {self.latency_ms:5.1f} ms"
            f" | input {self.input_size} | frames {self.frames} | dropped {self.dropped}"
        )
        if self.motion:
            text += (
                f" | motion {self.motion}, detected {self.frames - self.predicted}, skipped {self.predicted}"
            )
        if not self.detecting:
            text += " | detection off"
        return f"{text} | {self.message}" if self.message else text


class RateWindow:
    """Events per second over the last `seconds` (robust to pauses: old events fall out)."""

    def __init__(self, seconds: float = 2.0) -> None:
        self.seconds = seconds
        self._times: deque[float] = deque()

    def tick(self, now: float) -> None:
        self._times.append(now)
        self._trim(now)

    def _trim(self, now: float) -> None:
        while self._times and now - self._times[0] > self.seconds:
            self._times.popleft()

    def rate(self, now: float) -> float:
        self._trim(now)
        if len(self._times) < 2:
            return 0.0
        span = self._times[-1] - self._times[0]
        return (len(self._times) - 1) / span if span > 0 else 0.0


class StatsMeter:
    """Collects measurements from the capture and inference threads; `snapshot()` from anywhere."""

    def __init__(self, window_s: float = 2.0, samples: int = 60) -> None:
        self._lock = threading.Lock()
        self._capture = RateWindow(window_s)
        self._inference = RateWindow(window_s)
        self._infer_ms: deque[float] = deque(maxlen=samples)
        self._latency_ms: deque[float] = deque(maxlen=samples)
        self.dropped = 0
        self.frames = 0
        self.predicted_frames = 0
        self.input_size = 0
        self.state = "starting"
        self.message = ""
        self.motion = ""  # set by a pipeline with a motion gate
        self.detecting = True  # set by a pipeline whose detection is switched off

    def captured(self) -> None:
        with self._lock:
            self._capture.tick(time.monotonic())

    def drop(self, n: int = 1) -> None:
        with self._lock:
            self.dropped += n

    def processed(self, infer_ms: float, latency_ms: float, input_size: int) -> None:
        with self._lock:
            self._inference.tick(time.monotonic())
            self._infer_ms.append(infer_ms)
            self._latency_ms.append(latency_ms)
            self.frames += 1
            self.input_size = input_size

    def predicted(self, latency_ms: float) -> None:
        """A frame delivered with the tracker's predicted boxes: no invoke to time."""
        with self._lock:
            self._latency_ms.append(latency_ms)
            self.frames += 1
            self.predicted_frames += 1

    def set_state(self, state: str, message: str = "") -> bool:
        """Returns True when the state or message changed."""
        assert state in STATES, state
        with self._lock:
            changed = (state, message) != (self.state, self.message)
            self.state, self.message = state, message
            return changed

    def infer_median_ms(self, last: int | None = None) -> float:
        with self._lock:
            values = list(self._infer_ms)[-last:] if last else list(self._infer_ms)
        return percentile(sorted(values), 50)

    def snapshot(self) -> Stats:
        """Cheap enough to take per frame (sorting 60 floats beats numpy at this size)."""
        now = time.monotonic()
        with self._lock:
            infer = sorted(self._infer_ms)
            latency = sorted(self._latency_ms)
            return Stats(
                capture_fps=round(self._capture.rate(now), 2),
                inference_fps=round(self._inference.rate(now), 2),
                infer_ms=round(percentile(infer, 50), 2),
                infer_ms_p95=round(percentile(infer, 95), 2),
                latency_ms=round(percentile(latency, 50), 2),
                dropped=self.dropped,
                frames=self.frames,
                predicted=self.predicted_frames,
                input_size=self.input_size,
                state=self.state,
                message=self.message,
                motion=self.motion,
                detecting=self.detecting,
            )


def percentile(ordered: list[float], q: float) -> float:
    """Linear-interpolated percentile of an already sorted list (numpy's default method)."""
    if not ordered:
        return 0.0
    pos = (len(ordered) - 1) * q / 100.0
    lo = int(pos)
    hi = min(lo + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (pos - lo)
