"""Live settings: asked for from any thread, applied by an inference thread between frames."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

from camapp.detect.base import Detector
from camapp.errors import CamappError
from camapp.pipeline.policy import RungPolicy

log = logging.getLogger(__name__)

DEFAULT_TARGET_FPS = 15.0


class LiveSettings:
    """Input size (or "auto"), score threshold, class filter and threads for a running pipeline.

    Setters validate at once (a bad value is the caller's error) and only record the request;
    `apply()` hands it to the detector at the start of the next frame. With several lanes,
    one lane may be inside the auto policy while another applies a fixed size; the policy lock
    makes the user's choice win.
    """

    def __init__(self, detector: Detector, source_fps: Callable[[], float | None]) -> None:
        self.detector = detector
        self._source_fps = source_fps
        self._lock = threading.Lock()
        self._pending: dict[str, Any] = {}
        self.policy: RungPolicy | None = None
        self.policy_lock = threading.Lock()

    @property
    def auto(self) -> bool:
        return self.policy is not None or self._pending.get("size") == "auto"

    def set_input_size(self, size: int | str, target_fps: float | None = None) -> None:
        """A ladder rung, or "auto" to hold `target_fps` (default: the source's rate, else 15)."""
        if size != "auto" and (not isinstance(size, int) or size not in self.detector.input_sizes):
            sizes = ", ".join(map(str, self.detector.input_sizes))
            raise CamappError(f"input size {size} is not available; choose one of {sizes} or auto")
        if target_fps is not None and target_fps <= 0:
            raise CamappError("target fps must be positive")
        self._settle(size=size, target_fps=target_fps)

    def set_threshold(self, threshold: float) -> None:
        if not 0.0 <= threshold <= 1.0:
            raise CamappError(f"threshold {threshold} must be between 0 and 1")
        self._settle(threshold=float(threshold))

    def set_classes(self, classes: set[int] | frozenset[int] | None) -> None:
        self._settle(classes=None if classes is None else frozenset(classes))

    def set_threads(self, threads: int) -> None:
        if threads < 1:
            raise CamappError("threads must be at least 1")
        if not callable(getattr(self.detector, "set_threads", None)):
            raise CamappError(
                f"the {self.detector.device} detector cannot change its thread count while running"
            )
        self._settle(threads=int(threads))

    def _settle(self, **settings: Any) -> None:
        with self._lock:
            self._pending.update(settings)

    def apply(self) -> bool:
        """Hand pending requests to the detector; True when the thread count changed."""
        with self._lock:
            pending, self._pending = self._pending, {}
        if not pending:
            return False
        det = self.detector
        if "threshold" in pending:
            det.threshold = pending["threshold"]
        if "classes" in pending:
            det.classes = pending["classes"]
        if "threads" in pending:
            det.set_threads(pending["threads"])  # type: ignore[attr-defined]
        with self.policy_lock:  # a lane following the policy must not undo the user's choice
            if "size" in pending:
                size = pending["size"]
                if size == "auto":
                    fps = pending.get("target_fps") or self._source_fps() or DEFAULT_TARGET_FPS
                    self.policy = RungPolicy(det.input_sizes, fps, start=det.input_size)
                else:
                    self.policy = None
                    det.set_input_size(size)
            elif "target_fps" in pending and self.policy is not None:
                self.policy.target = float(pending["target_fps"])
        return "threads" in pending

    def follow_policy(self, size: int, fps: float) -> None:
        """In auto mode, feed one frame's rate at `size` (all lanes together) to the policy."""
        with self.policy_lock:
            policy = self.policy
            if policy is None:
                return
            wanted = policy.update(size, fps)
            if wanted == size:
                return
            try:
                self.detector.set_input_size(wanted)
            except CamappError as exc:  # a rung that failed to build: stay where we are
                log.warning("input size %s unavailable: %s", wanted, exc)
                policy.reject(wanted, size)
