"""Frame gates: per frame, whether the detector runs and on which region(s) of the frame.

The tracking pipeline asks its gates once per captured frame, on the capture thread, in
capture order (`Gates.plan`); the `Plan` rides with the frame to the inference thread, which
follows it. Each gate refines the plan of the gates before it:

- `OffGate` (detection switched off): no frame goes to the detector and no boxes are handed
  on, not even predicted or held ones; it comes first, so the gates after it still see every
  frame (motion is still measured) but none can turn detection back on;
- `EveryGate` (`--detect-every N`): the detector on one frame in N, the tracker predicts the rest;
- `RoiGate` (`--roi`): only that crop of each frame goes to the network;
- `MotionGate` (`--motion`): the detector runs while something moves or a followed object does,
  plus a keep-alive detection every few seconds; with `regions`, only on square crops around
  the motion (see `camapp.motion.regions`).

A frame planned for detection that never reaches the detector (it was busy and newer frames
came) is owed: the next frame taken is detected instead (`PredictQueue`).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any, Protocol

import numpy as np

from camapp.motion import MotionDetector, MotionResult, MotionSettings, square_regions
from camapp.types import Detections, Frame

Box = tuple[int, int, int, int]


@dataclass(frozen=True)
class Plan:
    """What to do with one frame: `detect` or not, on the whole frame (`regions` None) or on
    these crops (source pixels). `motion` is what the motion gate saw (None without one) and
    `why` the reason it opened ("motion", "followed", "keep-alive", "calibrating") or "" (still);
    `moving` whether motion is on (it ends `linger_s` after the last moving frame). `off`:
    detection is switched off, the frame is handed on with no boxes at all."""

    detect: bool = True
    regions: tuple[Box, ...] | None = None
    motion: MotionResult | None = None
    why: str = ""
    moving: bool = False
    off: bool = False


class FrameGate(Protocol):
    """Refines `plan` for `frame`. Called on the capture thread for every frame, in order."""

    def plan(self, frame: Frame, plan: Plan) -> Plan: ...


class Gates:
    """Gates in order; `plan(frame)` is the pipeline's one call per frame."""

    def __init__(self, gates: Sequence[FrameGate] = ()) -> None:
        self.gates = tuple(gates)

    def plan(self, frame: Frame) -> Plan:
        plan = Plan()
        for gate in self.gates:
            plan = gate.plan(frame, plan)
        return plan

    def find(self, kind: type) -> Any:
        """The first gate of `kind`, or None."""
        return next((g for g in self.gates if isinstance(g, kind)), None)


class OffGate:
    """Detection switched off: the detector runs on no frame (no input tensor is made either),
    and the frames go on to the video, recordings and front-ends with no boxes."""

    def plan(self, frame: Frame, plan: Plan) -> Plan:
        return replace(plan, detect=False, off=True)


class EveryGate:
    """The detector on the first frame and every `n`-th captured frame after it."""

    def __init__(self, n: int) -> None:
        if n < 1:
            raise ValueError("detect every N needs N >= 1")
        self.n = n
        self._count = 0

    def plan(self, frame: Frame, plan: Plan) -> Plan:
        self._count += 1
        if (self._count - 1) % self.n:
            return replace(plan, detect=False)
        return plan


class RoiGate:
    """Only the crop `roi` (a `camapp.track.regions.Roi`, 0-1 coordinates) goes to the network."""

    def __init__(self, roi: Any) -> None:
        self.roi = roi

    def plan(self, frame: Frame, plan: Plan) -> Plan:
        return replace(plan, regions=(self.roi.pixels(frame.image.shape),))


class Followed:
    """Which followed objects move, fed with each delivered frame's tracked boxes (delivery
    thread) and read by the motion gate (capture thread).

    An object moves while its box centre has moved more than `reach` of the frame's diagonal
    within the last `still_s` seconds: a person walking keeps the detector running even when the
    background absorbs them; a television followed for minutes does not. Motion inside a still
    object's box (a person at a desk turning a page) is that object fidgeting, not news.
    """

    def __init__(self, reach: float = 0.04, still_s: float = 1.0) -> None:
        self.reach = reach
        self.still_s = still_s
        self._lock = threading.Lock()
        self._anchors: dict[int, tuple[float, float, float]] = {}  # id -> (cx, cy, moved at)
        self._moving: tuple[Box, ...] = ()
        self._still: tuple[Box, ...] = ()

    def update(self, dets: Detections, t: float, shape: tuple[int, ...]) -> None:
        if dets.track_ids is None:
            return
        h, w = shape[0], shape[1]
        reach = self.reach * float(np.hypot(w, h))
        moving: list[Box] = []
        still: list[Box] = []
        with self._lock:
            present = set()
            for tid, box, predicted in zip(
                dets.track_ids.tolist(),
                dets.boxes.tolist(),
                dets.predicted.tolist() if dets.predicted is not None else [False] * len(dets),
            ):
                if tid < 0:
                    continue
                present.add(tid)
                cx, cy = (box[0] + box[2]) / 2, (box[1] + box[3]) / 2
                anchor = self._anchors.get(tid)
                if anchor is None or (not predicted and np.hypot(cx - anchor[0], cy - anchor[1]) > reach):
                    anchor = self._anchors[tid] = (cx, cy, t)
                pixels: Box = tuple(int(round(v)) for v in box)  # type: ignore[assignment]
                (moving if t - anchor[2] < self.still_s else still).append(pixels)
            for tid in [k for k in self._anchors if k not in present]:
                del self._anchors[tid]
            self._moving, self._still = tuple(moving), tuple(still)

    @property
    def moving(self) -> tuple[Box, ...]:
        """Boxes (source pixels) of the followed objects that move, as of the last frame delivered."""
        with self._lock:
            return self._moving

    @property
    def still(self) -> tuple[Box, ...]:
        """Boxes of the followed objects that do not move."""
        with self._lock:
            return self._still

    def clear(self) -> None:
        with self._lock:
            self._anchors.clear()
            self._moving = self._still = ()


def outside(boxes: np.ndarray, covers: Sequence[Box], grow: float = 0.15, inside: float = 0.8) -> np.ndarray:
    """The motion `boxes` not lying (`inside` of their area) within one of `covers`, each grown
    by `grow` of its size."""
    boxes = np.asarray(boxes, np.float64).reshape(-1, 4)
    if not len(boxes) or not covers:
        return boxes
    c = np.array(covers, np.float64).reshape(-1, 4)
    pad = (c[:, 2:] - c[:, :2]) * grow
    c = np.concatenate([c[:, :2] - pad, c[:, 2:] + pad], axis=1)
    lt = np.maximum(boxes[:, None, :2], c[None, :, :2])
    rb = np.minimum(boxes[:, None, 2:], c[None, :, 2:])
    inter = np.prod(np.clip(rb - lt, 0, None), axis=2)
    area = np.maximum(np.prod(boxes[:, 2:] - boxes[:, :2], axis=1), 1e-9)
    return boxes[(inter / area[:, None]).max(axis=1) < inside]


class MotionGate:
    """The detector runs while there is motion (outside still followed objects), a followed
    object moves, the background is (re)learnt, every `refresh_s` while objects are followed
    (the tracker keeps them), or `keepalive_s` after the last detection (a newcomer that
    stopped is still found). `regions`: only square crops around the motion, at least
    `input_size()`. With `overlay`, the moving areas, regions and masks are drawn on the frames.
    Motion is on from the first moving frame until `linger_s` without one (`on_change` hears
    both, on the capture thread)."""

    def __init__(
        self,
        settings: MotionSettings | None = None,
        *,
        regions: bool = False,
        aspect: float = 1.0,
        keepalive_s: float = 3.0,
        refresh_s: float = 1.0,
        linger_s: float = 0.5,
        input_size: Callable[[], int] = lambda: 300,
        followed: Followed | None = None,
        overlay: bool = False,
        on_change: Callable[[bool, Frame, MotionResult], None] | None = None,
    ) -> None:
        self.detector = MotionDetector(settings)
        self.regions = regions
        self.aspect = aspect
        self.keepalive_s = keepalive_s
        self.refresh_s = refresh_s
        self.linger_s = linger_s
        self._last_motion: float | None = None
        self.input_size = input_size
        self.followed = followed or Followed()
        self.on_change = on_change
        self.overlay = overlay  # the pipeline draws what was seen on each frame handed on
        self.moving = False
        self.starts = 0
        self._last_detect: float | None = None
        self._lock = threading.Lock()

    def set_settings(self, settings: MotionSettings, regions: bool | None = None) -> None:
        """Other settings from the next frame on (any thread)."""
        with self._lock:
            self.detector.set_settings(settings)
            if regions is not None:
                self.regions = regions

    def plan(self, frame: Frame, plan: Plan) -> Plan:
        t = frame.media_time if frame.media_time is not None else frame.timestamp
        with self._lock:
            seen = self.detector.update(frame.image, t)
            regions = self.regions
        followed, still = self.followed.moving, self.followed.still
        news = outside(seen.boxes, still)  # motion that is not a still object fidgeting
        if len(news):
            self._last_motion = t
        last = self._last_motion
        moving = last is not None and 0.0 <= t - last < self.linger_s
        since = None if self._last_detect is None or t < self._last_detect else t - self._last_detect
        if moving:
            why = "motion"
        elif followed:
            why = "followed"
        elif seen.calibrating:
            why = "calibrating"
        elif since is None or since >= self.keepalive_s or (still and since >= self.refresh_s):
            why = "keep-alive"
        else:
            why = ""
        if moving != self.moving:
            self.moving = moving
            self.starts += moving
            if self.on_change is not None:
                self.on_change(moving, frame, seen)
        if not why or not plan.detect:
            return replace(plan, detect=False, motion=seen, why=why, moving=moving)
        self._last_detect = t
        if regions and why in ("motion", "followed") and plan.regions is None:
            seeds = np.concatenate([news, np.array(followed, np.float64).reshape(-1, 4)])
            size = self.input_size()
            crops = square_regions(seeds, frame.image.shape, size, aspect=self.aspect) if len(seeds) else None
            return replace(plan, regions=crops, motion=seen, why=why, moving=moving)
        return replace(plan, motion=seen, why=why, moving=moving)
