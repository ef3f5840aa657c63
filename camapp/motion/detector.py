"""Motion on a downscaled grey frame: running-average background, difference, threshold, dilate,
contours. Every step is one OpenCV call on a frame about 320 pixels wide, so a 1080p frame costs
about a millisecond and no Python loop touches a pixel.

Masks, sensitivity and the minimum area are in fractions of the frame (0-1), like lines and
zones, so they hold at any resolution.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import cv2
import numpy as np

Point = tuple[float, float]
DILATE = 2  # dilations of the changed pixels with a 5x5 ellipse ...
GROWN = 2 * DILATE  # ... which grow an area by this many (small-frame) pixels each way
DEFAULT_DT = 1 / 15  # s between frames without times


@dataclass(frozen=True)
class MotionMask:
    """A polygon (0-1 coordinates, at least 3 points) whose motion is ignored: a tree, a
    television, a timestamp burned into the picture."""

    points: tuple[Point, ...]

    @classmethod
    def parse(cls, text: str) -> MotionMask:
        """From `x,y,x,y,...`; a mistake is a one-line `ValueError` naming `--motion-mask`."""
        try:
            values = [float(v) for v in text.split(",") if v.strip()]
        except ValueError:
            raise ValueError(f"--motion-mask: {text!r} is not a comma-separated list of numbers") from None
        return cls.of(values, text)

    @classmethod
    def of(cls, values: list[float], text: str = "") -> MotionMask:
        what = f"--motion-mask {text!r}" if text else "--motion-mask"
        if any(not 0.0 <= v <= 1.0 for v in values):  # also refuses NaN
            raise ValueError(f"{what}: coordinates must be between 0 and 1 (fractions of the frame)")
        if len(values) % 2:
            raise ValueError(f"{what}: an odd count of numbers; give x,y pairs")
        points = tuple((values[i], values[i + 1]) for i in range(0, len(values), 2))
        if len(points) < 3:
            raise ValueError(f"{what}: a mask needs at least 3 points, got {len(points)}")
        if abs(cv2.contourArea(np.array(points, np.float32))) < 1e-6:
            raise ValueError(f"{what}: the polygon has no area")
        return cls(points)

    def text(self) -> str:
        return ",".join(f"{v:g}" for p in self.points for v in p)


def check_fraction(value: float, what: str, low: float = 0.0, high: float = 1.0) -> float:
    """`value` when it lies in [low, high], else a one-line `ValueError` naming `what`."""
    if not low <= value <= high:  # also refuses NaN
        raise ValueError(f"{what} must be between {low:g} and {high:g}, got {value:g}")
    return float(value)


@dataclass(frozen=True)
class MotionSettings:
    """`sensitivity` 0-1 (1: the faintest change counts); `min_area`: the smallest moving area
    that counts, as a fraction of the frame; `masks`: polygons to ignore; `width`: the width
    motion is measured at; `memory_s`: how long the background remembers (the time constant of
    its running average: short, so a person who walked away leaves no ghost for long, and what
    stops moving soon counts as still);
    `recalibrate`: a change over this share of the frame is the light or the exposure changing,
    not motion: the background is taken afresh."""

    sensitivity: float = 0.5
    min_area: float = 0.0005
    masks: tuple[MotionMask, ...] = ()
    width: int = 320
    memory_s: float = 0.45
    recalibrate: float = 0.4

    def __post_init__(self) -> None:
        check_fraction(self.sensitivity, "motion sensitivity")
        check_fraction(self.min_area, "motion minimum area")
        check_fraction(self.recalibrate, "the recalibration share", 0.01)
        if not 0.01 <= self.memory_s <= 600:
            raise ValueError(f"the background memory must be 0.01-600 s, got {self.memory_s:g}")
        if self.width < 32:
            raise ValueError(f"the motion width must be at least 32 pixels, got {self.width}")

    @property
    def difference(self) -> int:
        """The grey-level change (0-255) that counts as motion: 60 at sensitivity 0, 4 at 1."""
        return int(round(4 + (1.0 - self.sensitivity) * 56))


@dataclass(frozen=True)
class MotionResult:
    """One frame: `boxes` (N x 4 int, xyxy source pixels) of the moving areas, `changed` the
    share of the (unmasked) frame that changed, `calibrating` while the background is being
    (re)learnt: the first frame and the one after a global change."""

    boxes: np.ndarray
    changed: float = 0.0
    calibrating: bool = False
    recalibrated: bool = False
    shape: tuple[int, int] = (0, 0)  # source height, width
    area: float = field(default=0.0)  # moving share of the frame (boxes counted)

    @property
    def moving(self) -> bool:
        return len(self.boxes) > 0


class MotionDetector:
    """`update(image, t)` once per frame, in order (one thread), `t` the frame's time in seconds
    (without it frames count as 1/15 s apart). Not thread-safe."""

    def __init__(self, settings: MotionSettings | None = None) -> None:
        self.settings = settings or MotionSettings()
        self._background: np.ndarray | None = None  # float32, small grey
        self._keep: np.ndarray | None = None  # uint8 255 where motion counts (masks are 0)
        self._size: tuple[int, int] | None = None  # small (width, height)
        self._source: tuple[int, int] | None = None
        self._kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (5, 5))
        self._t: float | None = None
        self.calibrations = 0

    def set_settings(self, settings: MotionSettings) -> None:
        """Other settings from the next frame on; the background is kept (the masks are redrawn)."""
        self.settings = settings
        self._keep = None
        if self._size is not None:
            self._keep = self._mask(self._size)

    def reset(self) -> None:
        self._background = None

    def _mask(self, size: tuple[int, int]) -> np.ndarray | None:
        if not self.settings.masks:
            return None
        w, h = size
        keep = np.full((h, w), 255, np.uint8)
        for m in self.settings.masks:
            pts = np.round(np.array(m.points, np.float32) * (w, h)).astype(np.int32)
            cv2.fillPoly(keep, [pts], 0)
        return keep

    def _small(self, image: np.ndarray) -> np.ndarray:
        h, w = image.shape[:2]
        if self._source != (h, w):
            sw = min(self.settings.width, w)
            self._size = (sw, max(8, round(h * sw / w)))
            self._source = (h, w)
            self._keep = self._mask(self._size)
            self._background = None
        small = cv2.resize(
            image, self._size, interpolation=cv2.INTER_LINEAR
        )  # 2x2 taps: quick, some averaging
        grey = cv2.cvtColor(small, cv2.COLOR_BGR2GRAY) if small.ndim == 3 else small
        return cv2.GaussianBlur(grey, (3, 3), 0)

    def _alpha(self, t: float | None) -> float:
        """The running average's weight for this frame: `memory_s` whatever the frame rate."""
        dt = t - self._t if t is not None and self._t is not None and t > self._t else DEFAULT_DT
        self._t = t if t is not None else self._t
        return float(min(1.0, max(0.001, 1.0 - math.exp(-dt / self.settings.memory_s))))

    def update(self, image: np.ndarray, t: float | None = None) -> MotionResult:
        """The moving areas of this frame against the background, which then learns the frame."""
        alpha = self._alpha(t)
        grey = self._small(image)
        h, w = image.shape[:2]
        none = np.zeros((0, 4), np.int32)
        if self._background is None:
            self._background = grey.astype(np.float32)
            return MotionResult(none, calibrating=True, shape=(h, w))
        s = self.settings
        reference = cv2.convertScaleAbs(self._background)
        delta = cv2.absdiff(grey, reference)
        _, moved = cv2.threshold(delta, s.difference, 255, cv2.THRESH_BINARY)
        if self._keep is not None:
            moved = cv2.bitwise_and(moved, self._keep)
        counted = cv2.countNonZero(self._keep) if self._keep is not None else moved.size
        changed = cv2.countNonZero(moved) / max(1, counted)
        if changed > s.recalibrate:  # lights, auto-exposure, a camera moved: learn it afresh
            self._background = grey.astype(np.float32)
            self.calibrations += 1
            return MotionResult(none, changed, calibrating=True, recalibrated=True, shape=(h, w))
        cv2.accumulateWeighted(grey, self._background, alpha)
        if not changed:
            return MotionResult(none, 0.0, shape=(h, w))
        moved = cv2.dilate(moved, self._kernel, iterations=DILATE)  # one area per object, not per speck
        contours, _ = cv2.findContours(moved, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
        sw, sh = self._size  # type: ignore[misc]
        least = s.min_area * sw * sh
        rects = [cv2.boundingRect(c) for c in contours if cv2.contourArea(c) >= least]
        if not rects:
            return MotionResult(none, changed, shape=(h, w))
        r = np.array(rects, np.float64)
        boxes = np.stack([r[:, 0], r[:, 1], r[:, 0] + r[:, 2], r[:, 1] + r[:, 3]], axis=1)
        # the dilation grew each area by its reach on every side: give it back (keeping 1 px)
        grown = np.minimum(GROWN, (boxes[:, 2:] - boxes[:, :2] - 1) / 2)
        boxes = np.concatenate([boxes[:, :2] + grown, boxes[:, 2:] - grown], axis=1)
        scale = np.array([w / sw, h / sh, w / sw, h / sh])
        boxes = np.clip(np.round(boxes * scale), 0, [w, h, w, h]).astype(np.int32)
        area = float((r[:, 2] * r[:, 3]).sum() / (sw * sh))
        return MotionResult(boxes, changed, shape=(h, w), area=area)
