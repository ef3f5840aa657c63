"""`TrackingPipeline`: the pipeline with the tracking stage and the frame gates (`--detect-every
N`, `--roi`, `--motion`, detection switched off; see `camapp.pipeline.gate`).

Boxes on every frame: a frame the detector does not run on (the gates skipped it, or it was still
busy when newer frames came) is not dropped but handed on with the tracker's predicted boxes, or
without a tracker, under a motion gate, the last boxes detected. With detection switched off
(`set_detect(False)`) frames are handed on with no boxes: the tracker sees empty frames, so its
objects are lost and end as objects that left the view do.
When the detector is slower than the camera the queue keeps the freshest frame for detection and
turns the older ones into predict-only frames (at most `backlog`; past that the oldest are
dropped and counted, as before), so capture never waits. The stage runs on the delivery thread,
in frame order.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from camapp.detect.base import Detector
from camapp.motion.overlay import draw_motion
from camapp.motion.regions import dedupe, shift
from camapp.pipeline.consumer import Consumer
from camapp.pipeline.core import Pipeline
from camapp.pipeline.gate import EveryGate, FrameGate, Gates, MotionGate, OffGate, Plan, RoiGate
from camapp.pipeline.handoff import FrameQueue
from camapp.pipeline.memory import WAITING_BYTES, frames_within
from camapp.sources.base import Source
from camapp.track.regions import Roi
from camapp.track.stage import TrackStage
from camapp.types import Detections, Frame


class Predict:
    """A frame to hand on with predicted boxes, without running the detector."""

    __slots__ = ("frame", "plan")

    def __init__(self, frame: Frame, plan: Plan | None = None) -> None:
        self.frame = frame
        self.plan = plan


def _plan(item: tuple[Any, ...]) -> Plan | None:
    return item[2] if len(item) > 2 else None


class PredictQueue(FrameQueue):
    """A frame queue that, instead of dropping a stale frame, keeps it as a `Predict` item.

    `size` frames wait for detection; up to `backlog` more wait to be handed on predicted, and
    no more than `WAITING_BYTES` of them (two at 4K: memory stays flat with large frames).
    A frame the gates planned to detect that is turned into a `Predict` item or dropped leaves
    the detection `owed`: the next frame taken is detected instead (`take_owed`).
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
        self.owed = False

    def _lost(self, item: object) -> None:
        if isinstance(item, tuple):
            plan = _plan(item)
            self.owed |= plan is None or plan.detect

    def take_owed(self) -> bool:
        """Whether a planned detection was lost since the last call (and forget it)."""
        with self._cond:
            owed, self.owed = self.owed, False
            return owed

    def put(self, item: object, force: bool = False) -> int:
        if not self.drop or force:
            return super().put(item, force)
        dropped = 0
        with self._cond:
            if self._halted:
                return 0  # the run is over (as `FrameQueue.put`)
            if not self.predicting:
                while len(self._items) >= self.size:
                    self._lost(self._items[0])
                    self._evict()
                    dropped += 1
            else:
                # (frame, tensor, plan) items; END, put back by a lane after a halt, stays as it is
                fresh = [i for i, x in enumerate(self._items) if isinstance(x, tuple)]
                for i in fresh[: max(0, len(fresh) - self.size + 1)]:
                    old = self._items[i]
                    self._lost(old)
                    self._items[i] = Predict(old[0], _plan(old))  # type: ignore[index,arg-type]  # tensor freed
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
    """`Pipeline` plus `stage` (a `TrackStage`, or None) and the frame gates: `detect_every`,
    `roi`, `motion` (a `MotionGate`) and any other `gates`, asked in that order.

    `detect_every` > 1 runs the detector on one frame in N and predicts the others (needs a
    stage). `roi` feeds only that crop of each frame to the network and moves the boxes back
    to source pixels. `motion` runs the detector only while something moves (and on crops
    around it with `regions`).
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
        motion: MotionGate | None = None,
        gates: Sequence[FrameGate] = (),
        **options: Any,
    ) -> None:
        if detect_every > 1 and stage is None:
            raise ValueError("detecting every N-th frame needs a tracking stage to fill the others")
        super().__init__(source, detector, consumers, **options)
        self.stage = stage
        self.detect_every = max(1, detect_every)
        self.roi = roi
        self.motion = motion
        self.detecting = True  # False: `OffGate` first, no frame is detected
        self._extra = tuple(gates)
        self._every_lock = threading.Lock()
        self._gates = self._build_gates()
        self._held: Detections | None = None  # the last boxes shown, for frames not detected
        self._queue = PredictQueue(
            self._queue.size, drop=self.realtime, predicting=stage is not None, on_drop=self._queue.on_drop
        )
        # the user's threshold, the stage and the detector's request change together: the
        # session's worker switches tracking while any thread may move the threshold
        self._threshold_lock = threading.Lock()
        self._threshold = float(detector.threshold)
        self.set_threshold(self._threshold)  # the session sets its own right after
        self._meter.motion = "off" if motion is not None else ""

    def _build_gates(self) -> Gates:
        gates: list[FrameGate] = [] if self.detecting else [OffGate()]
        if self.stage is not None and self.detect_every > 1:
            gates.append(EveryGate(self.detect_every))
        if self.roi is not None:
            gates.append(RoiGate(self.roi))
        if self.motion is not None:
            gates.append(self.motion)
        return Gates([*gates, *self._extra])

    @property
    def gates(self) -> Gates:
        return self._gates

    def set_stage(self, stage: TrackStage | None, detect_every: int = 1) -> None:
        """Tracking on (a stage) or off (None) from the next frame on, without a restart: the
        source, its position and the recordings go on (any thread)."""
        if detect_every > 1 and stage is None:
            raise ValueError("detecting every N-th frame needs a tracking stage to fill the others")
        with self._threshold_lock:
            if stage is not None:
                stage.tracker.threshold = self._threshold  # before any frame can reach it
            with self._every_lock:
                self.stage, self.detect_every = stage, max(1, detect_every)
                self._gates = self._build_gates()
            if self.motion is not None:
                self.motion.followed.clear()
            self._queue.predicting = stage is not None
            self._request_threshold()

    def set_motion(self, motion: MotionGate | None) -> None:
        """A motion gate (or none) from the next frame on, without a restart (any thread)."""
        with self._every_lock:
            self.motion = motion
            self._gates = self._build_gates()
        self._meter.motion = "off" if motion is not None else ""

    def set_detect(self, on: bool) -> None:
        """Detection on, or off from the next frame taken on (any thread): the source, the
        recordings and the motion gate go on; frames are handed on with no boxes."""
        with self._every_lock:
            self.detecting = bool(on)
            self._gates = self._build_gates()
        self._meter.detecting = bool(on)

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

    def _prepare(self, frame: Frame) -> tuple[Any, ...]:
        """On the capture thread, for every frame in capture order: the gates' plan, and the
        network input for a frame to detect whole or in one region (a frame detected without
        one, or on several regions, gets it made on the inference thread)."""
        plan = self._gates.plan(frame)  # the one place the gates are asked
        tensor = None
        if plan.detect and (plan.regions is None or len(plan.regions) == 1):
            image = frame.image if plan.regions is None else _crop(frame.image, plan.regions[0])
            tensor = self._input_tensor(image)
        return frame, tensor, plan

    def _process(self, lane: Detector, item: Any) -> tuple[Any, ...]:
        """Follow the frame's plan: no detection, the whole frame, or its region(s)."""
        if isinstance(item, Predict):
            return item.frame, None, 0.0, lane.input_size, item.plan
        frame, tensor = item[0], item[1]
        plan = _plan(item)
        owed = self._queue.take_owed()
        if plan is not None and not plan.detect and (plan.off or not owed):
            return frame, None, 0.0, lane.input_size, plan
        regions = plan.regions if plan is not None else None
        if regions is None:
            return (*super()._process(lane, (frame, tensor if plan is None or plan.detect else None)), plan)
        if len(regions) == 1:
            region = regions[0]
            crop = Frame(_crop(frame.image, region), frame.timestamp, frame.index, frame.media_time)
            _, decode, infer_ms, size = super()._process(lane, (crop, tensor if plan.detect else None))  # type: ignore[union-attr]
            return frame, lambda: shift(decode(), region), infer_ms, size, plan
        return (*self._regions(lane, frame, regions), plan)

    def _regions(self, lane: Detector, frame: Frame, regions: Sequence[tuple[int, int, int, int]]) -> tuple:
        """One invoke per region; the boxes are moved to source pixels and de-duplicated where
        regions overlap. The auto policy sees the whole frame's rate (all its invokes)."""
        if self._settings.apply():
            self._maybe_yield()
        t0 = time.perf_counter()
        decodes = [(lane.infer(_crop(frame.image, r), None), r) for r in regions]
        infer_ms = (time.perf_counter() - t0) * 1000.0
        size = lane.input_size
        if infer_ms > 0:
            self._settings.follow_policy(size, len(self._lanes) * 1000.0 / infer_ms)
        shape = frame.image.shape
        return frame, lambda: dedupe([(shift(d(), r), r) for d, r in decodes], shape), infer_ms, size

    def _hand_on(self, frame: Frame, fresh: Any, plan: Plan | None = None) -> tuple[Any, ...] | None:
        stage = self.stage  # once: tracking may be switched while this frame is handed on
        motion = self.motion
        if motion is not None and plan is not None and plan.motion is not None:
            self._meter.motion = "on" if plan.moving else "off"
            if motion.overlay:  # drawn into the frame: every consumer and front-end shows it
                draw_motion(frame.image, plan.motion.boxes, plan.regions, motion.detector.settings.masks)
        if plan is not None and plan.off:  # detection off: no boxes, none held for later
            fresh = self._held = Detections.empty(self.detector.names)
        if stage is not None:
            dets, info = stage.process(frame, fresh)
            if motion is not None:
                t = frame.media_time if frame.media_time is not None else frame.timestamp
                motion.followed.update(dets, t, frame.image.shape)
            return dets, info, plan
        if fresh is None:
            if motion is None or plan is None or plan.motion is None:
                return None  # queued to be predicted just before tracking went off: dropped
            held = self._held if self._held is not None else Detections.empty(self.detector.names)
            return held, None, plan  # not detected under a motion gate: the last boxes
        # decoded at a tracker's lower score just before tracking went off: not shown
        low = fresh.scores < self._threshold
        shown = fresh[~low] if low.any() else fresh
        self._held = shown
        return shown, None, plan


def _crop(image: np.ndarray, region: tuple[int, int, int, int]) -> np.ndarray:
    x0, y0, x1, y1 = region
    return image[y0:y1, x0:x1]
