"""`TrackingPipeline`: the pipeline with the tracking stage, `--detect-every N` and `--roi`.

Boxes on every frame: a frame the detector does not run on (every N-th only, or it was still
busy when newer frames came) is not dropped but handed on with the tracker's predicted boxes.
When the detector is slower than the camera the queue keeps the freshest frame for detection and
turns the older ones into predict-only frames (at most `backlog`; past that the oldest are
dropped and counted, as before), so capture never waits. The stage runs on the delivery thread,
in frame order.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from camapp.detect.base import Detector
from camapp.pipeline.consumer import Consumer
from camapp.pipeline.core import Pipeline
from camapp.pipeline.handoff import FrameQueue
from camapp.pipeline.memory import WAITING_BYTES, frames_within
from camapp.sources.base import Source
from camapp.track.regions import Roi
from camapp.track.stage import TrackStage
from camapp.types import Frame


class Predict:
    """A frame to hand on with predicted boxes, without running the detector."""

    __slots__ = ("frame",)

    def __init__(self, frame: Frame) -> None:
        self.frame = frame


class PredictQueue(FrameQueue):
    """A frame queue that, instead of dropping a stale frame, keeps it as a `Predict` item.

    `size` frames wait for detection; up to `backlog` more wait to be handed on predicted, and
    no more than `WAITING_BYTES` of them (two at 4K: memory stays flat with large frames).
    """

    def __init__(
        self,
        size: int,
        drop: bool,
        backlog: int = 8,
        predicting: bool = True,
        on_drop: Callable[[int], None] | None = None,
    ) -> None:
        super().__init__(size, drop, on_drop)
        self.backlog = backlog
        self.predicting = predicting  # False: a plain frame queue (tracking is off)

    def put(self, item: object, force: bool = False) -> int:
        if not self.drop or force or not self.predicting:
            return super().put(item, force)
        dropped = 0
        with self._cond:
            if self._halted:
                return 0  # the run is over (as `FrameQueue.put`)
            # (frame, tensor) items; END, put back by a lane after a halt, stays as it is
            fresh = [i for i, x in enumerate(self._items) if isinstance(x, tuple)]
            for i in fresh[: max(0, len(fresh) - self.size + 1)]:
                frame = self._items[i][0]  # type: ignore[index]
                self._items[i] = Predict(frame)  # its input tensor is freed
            image = item[0].image if isinstance(item, tuple) else None
            backlog = (
                frames_within(image.nbytes, WAITING_BYTES, self.backlog)
                if image is not None
                else self.backlog
            )
            while len(self._items) >= self.size + backlog:
                self._evict()
                dropped += 1
            self._items.append(item)
            self._cond.notify_all()
        return dropped


class TrackingPipeline(Pipeline):
    """`Pipeline` plus `stage` (a `TrackStage`, or None), `detect_every` and `roi`.

    `detect_every` > 1 runs the detector on one frame in N and predicts the others (needs a
    stage). `roi` feeds only that crop of each frame to the network and moves the boxes back
    to source pixels.
    """

    def __init__(
        self,
        source: Source,
        detector: Detector,
        consumers: Sequence[Consumer] = (),
        *,
        stage: TrackStage | None = None,
        detect_every: int = 1,
        roi: Roi | None = None,
        **options: Any,
    ) -> None:
        if detect_every > 1 and stage is None:
            raise ValueError("detecting every N-th frame needs a tracking stage to fill the others")
        super().__init__(source, detector, consumers, **options)
        self.stage = stage
        self.detect_every = max(1, detect_every)
        self.roi = roi
        self._every_lock = threading.Lock()
        self._last_detected: int | None = None
        self._captured = 0
        self._queue = PredictQueue(
            self._queue.size, drop=self.realtime, predicting=stage is not None, on_drop=self._queue.on_drop
        )
        # the user's threshold, the stage and the detector's request change together: the
        # session's worker switches tracking while any thread may move the threshold
        self._threshold_lock = threading.Lock()
        self._threshold = float(detector.threshold)
        self.set_threshold(self._threshold)  # the session sets its own right after

    def set_stage(self, stage: TrackStage | None, detect_every: int = 1) -> None:
        """Tracking on (a stage) or off (None) from the next frame on, without a restart: the
        source, its position and the recordings go on (any thread)."""
        if detect_every > 1 and stage is None:
            raise ValueError("detecting every N-th frame needs a tracking stage to fill the others")
        with self._threshold_lock:
            if stage is not None:
                stage.tracker.threshold = self._threshold  # before any frame can reach it
            with self._every_lock:
                self.stage, self.detect_every, self._last_detected = stage, max(1, detect_every), None
            self._queue.predicting = stage is not None
            self._request_threshold()

    def stop(self, timeout: float = 5.0) -> None:
        """`Pipeline.stop`, then the detector gets the user's threshold back (a tracker had it
        run lower), for whoever uses it next."""
        super().stop(timeout)
        self.detector.threshold = self._threshold

    def set_threshold(self, threshold: float) -> None:
        """With a tracker, `threshold` is the tracker's (new objects need it) and the detector
        runs at the tracker's lower `low`, so boxes that continue an object reach it."""
        if not 0.0 <= threshold <= 1.0:
            super().set_threshold(threshold)  # says why, as the plain pipeline does
        with self._threshold_lock:
            self._threshold = float(threshold)
            self._request_threshold()

    def _request_threshold(self) -> None:
        """One request to the detector for the current stage (under `_threshold_lock`)."""
        stage = self.stage
        if stage is None:
            self._settings.set_threshold(self._threshold)
            return
        stage.tracker.threshold = self._threshold
        self._settings.set_threshold(stage.tracker.low)

    def _input_tensor(self, image: np.ndarray) -> np.ndarray | None:
        """On the capture thread, for every frame in capture order: with `detect_every` N, only
        every N-th frame gets an input tensor, the rest will be predicted (a frame picked for
        detection without one gets it made on the inference thread)."""
        self._captured += 1
        if self.detect_every > 1 and (self._captured - 1) % self.detect_every:
            return None
        return super()._input_tensor(self.roi.crop(image) if self.roi is not None else image)

    def _due(self, frame: Frame) -> bool:
        """Whether the detector runs on this frame (`detect_every`)."""
        with self._every_lock:
            last = self._last_detected
            if last is None or frame.index - last >= self.detect_every or frame.index < last:
                self._last_detected = frame.index
                return True
            return False

    def _process(self, lane: Detector, item: Any) -> tuple[Any, ...]:
        if isinstance(item, Predict):
            return item.frame, None, 0.0, lane.input_size
        frame, tensor = item
        if self.stage is not None and self.detect_every > 1 and not self._due(frame):
            return frame, None, 0.0, lane.input_size
        if self.roi is None:
            return super()._process(lane, item)
        roi, shape = self.roi, frame.image.shape
        crop = Frame(roi.crop(frame.image), frame.timestamp, frame.index, frame.media_time)
        _, decode, infer_ms, size = super()._process(lane, (crop, tensor))
        return frame, lambda: roi.to_source(decode(), shape), infer_ms, size

    def _hand_on(self, frame: Frame, fresh: Any) -> tuple[Any, Any] | None:
        stage = self.stage  # once: tracking may be switched while this frame is handed on
        if stage is not None:
            return stage.process(frame, fresh)
        if fresh is None:
            return None  # queued to be predicted just before tracking went off: dropped
        # decoded at a tracker's lower score just before tracking went off: not shown
        low = fresh.scores < self._threshold
        return (fresh[~low] if low.any() else fresh), None
