"""Lines, zones and the detection region, in normalized 0-1 coordinates of the source frame.

Normalized so they hold at any resolution and input rung. Built from points (`Line.of`,
`Zone.of`: what a front-end drew) or from the command line's text (`parse`); a mistake is a
`FieldError` naming the field ("line", "zone", "roi"), the region and the reason, which the CLI
prints as a usage error (exit 2) and the other front-ends phrase for their own controls.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import cv2
import numpy as np

from camapp.errors import FieldError
from camapp.types import Detections

Point = tuple[float, float]
MARGIN = 0.01  # a point this close to a line is on neither side: jitter there is not a crossing


def _numbers(text: str, what: str, name: str = "") -> list[float]:
    try:
        return [float(v) for v in text.split(",") if v.strip()]
    except ValueError:
        raise FieldError(what, f"{text!r} is not a comma-separated list of numbers", name) from None


def _points(values: Sequence[Sequence[float]], what: str, name: str) -> tuple[Point, ...]:
    """(x, y) pairs inside the frame (0-1 each; NaN is refused too)."""
    pts = tuple((float(x), float(y)) for x, y in values)
    bad = next((v for p in pts for v in p if not 0.0 <= v <= 1.0), None)
    if bad is not None:
        raise FieldError(
            what, f"coordinates must be between 0 and 1 (fractions of the frame), got {bad:g}", name
        )
    return pts


def _pairs(values: list[float]) -> list[tuple[float, float]]:
    return [(values[i], values[i + 1]) for i in range(0, len(values) - 1, 2)]


def _named(text: str, what: str) -> tuple[str, str]:
    name, sep, rest = text.partition(":")
    if not sep or not name.strip():
        raise FieldError(what, f"expected NAME:x,y,..., got {text!r}")
    return name.strip(), rest


def _cross(o: Point, a: Point, b: Point) -> float:
    return (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0])


def segments_cross(p: Point, q: Point, r: Point, s: Point) -> bool:
    """True when segment p-q properly crosses segment r-s (touching at an end does not count)."""
    d1, d2 = _cross(r, s, p), _cross(r, s, q)
    d3, d4 = _cross(p, q, r), _cross(p, q, s)
    return d1 * d2 < 0 and d3 * d4 < 0


@dataclass(frozen=True)
class Line:
    """A counting line from (x0, y0) to (x1, y1). Crossings are named by the way the object
    moved: "left"/"right" across a mostly vertical line, "up"/"down" across a mostly horizontal one."""

    name: str
    a: Point
    b: Point
    length: float = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "length", math.hypot(self.b[0] - self.a[0], self.b[1] - self.a[1]))

    @classmethod
    def of(cls, name: str, ends: Sequence[Sequence[float]]) -> Line:
        """The line `name` between the two points `ends` ((x0, y0), (x1, y1))."""
        if len(ends) != 2:
            raise FieldError("line", f"needs 2 points (its two ends), got {len(ends)}", name)
        a, b = _points(ends, "line", name)
        if math.hypot(b[0] - a[0], b[1] - a[1]) < 0.01:
            raise FieldError("line", "its two points are the same", name)
        return cls(name, a, b)

    @classmethod
    def parse(cls, text: str) -> Line:
        """`NAME:x0,y0,x1,y1`."""
        name, rest = _named(text, "line")
        v = _numbers(rest, "line", name)
        if len(v) != 4:
            raise FieldError("line", f"needs 2 points (x0,y0,x1,y1), got {len(v)} numbers", name)
        return cls.of(name, _pairs(v))

    @property
    def directions(self) -> tuple[str, str]:
        """(positive, negative) side change names."""
        dx, dy = self.b[0] - self.a[0], self.b[1] - self.a[1]
        return (
            ("left", "right")
            if abs(dy) >= abs(dx) and dy > 0
            else (("right", "left") if abs(dy) >= abs(dx) else (("down", "up") if dx > 0 else ("up", "down")))
        )

    def side(self, p: Point) -> int:
        """+1 or -1 for the two sides, 0 within `MARGIN` of the line (normalized units)."""
        d = _cross(self.a, self.b, p) / self.length
        return 0 if abs(d) < MARGIN else (1 if d > 0 else -1)

    def crossing(self, side_before: int, p_before: Point, p: Point) -> str | None:
        """The direction when an object last firmly on `side_before` is now firmly on the other
        side, having passed between the line's ends; else None."""
        now = self.side(p)
        if side_before == 0 or now == 0 or now == side_before:
            return None
        # the move must pass the segment itself, not its extension (extend the path by the margin)
        if not segments_cross(p_before, p, self.a, self.b) and not _near_segment(p, self.a, self.b):
            return None
        pos, neg = self.directions
        return pos if now > side_before else neg


def _near_segment(p: Point, a: Point, b: Point) -> bool:
    """p projects onto the segment a-b (between its ends)."""
    ab = np.subtract(b, a)
    t = float(np.dot(np.subtract(p, a), ab) / np.dot(ab, ab))
    return 0.0 <= t <= 1.0


@dataclass(frozen=True)
class Zone:
    """A polygon (at least 3 points, not self-intersecting)."""

    name: str
    points: tuple[Point, ...]
    contour: np.ndarray = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "contour", np.array(self.points, np.float32).reshape(-1, 1, 2))

    @classmethod
    def of(cls, name: str, corners: Sequence[Sequence[float]]) -> Zone:
        """The zone `name`, the polygon through `corners` ((x, y), ...)."""
        pts = _points(corners, "zone", name)
        if len(pts) < 3:
            raise FieldError("zone", f"a polygon needs at least 3 points, got {len(pts)}", name)
        n = len(pts)
        for i in range(n):
            for j in range(i + 1, n):
                if j in (i + 1, (i - 1) % n) or (i == 0 and j == n - 1):
                    continue  # neighbours share a corner
                if segments_cross(pts[i], pts[(i + 1) % n], pts[j], pts[(j + 1) % n]):
                    raise FieldError("zone", f"the polygon crosses itself (edges {i + 1} and {j + 1})", name)
        if abs(cv2.contourArea(np.array(pts, np.float32))) < 1e-6:
            raise FieldError("zone", "the polygon has no area", name)
        return cls(name, pts)

    @classmethod
    def parse(cls, text: str) -> Zone:
        """`NAME:x,y,x,y,...`."""
        name, rest = _named(text, "zone")
        v = _numbers(rest, "zone", name)
        if len(v) % 2:
            raise FieldError("zone", "an odd count of numbers; give x,y pairs", name)
        return cls.of(name, _pairs(v))

    def contains(self, p: Point) -> bool:
        return cv2.pointPolygonTest(self.contour, (float(p[0]), float(p[1])), False) >= 0


@dataclass(frozen=True)
class Roi:
    """The detection region `--roi x0,y0,x1,y1`: only this crop goes to the network."""

    x0: float
    y0: float
    x1: float
    y1: float

    @classmethod
    def parse(cls, text: str) -> Roi:
        v = _numbers(text, "roi")
        if len(v) != 4:
            raise FieldError("roi", f"needs x0,y0,x1,y1, got {len(v)} numbers")
        (x0, y0), (x1, y1) = _points(_pairs(v), "roi", "")
        if x1 <= x0 or y1 <= y0:
            raise FieldError("roi", f"empty region {text!r}: x1 must exceed x0 and y1 exceed y0")
        return cls(x0, y0, x1, y1)

    def pixels(self, shape: tuple[int, ...]) -> tuple[int, int, int, int]:
        """The crop in pixels of an image of `shape`, at least 1x1."""
        h, w = int(shape[0]), int(shape[1])
        x0, y0 = min(w - 1, int(self.x0 * w)), min(h - 1, int(self.y0 * h))
        x1, y1 = max(x0 + 1, round(self.x1 * w)), max(y0 + 1, round(self.y1 * h))
        return x0, y0, x1, y1

    def crop(self, image: np.ndarray) -> np.ndarray:
        x0, y0, x1, y1 = self.pixels(image.shape)
        return image[y0:y1, x0:x1]

    def to_source(self, dets: Detections, shape: tuple[int, ...]) -> Detections:
        """Boxes found in the crop, moved to source-frame pixels."""
        x0, y0, _, _ = self.pixels(shape)
        shift = np.array([x0, y0, x0, y0], np.float32)
        return Detections(
            dets.boxes + shift, dets.scores, dets.class_ids, dets.names, dets.track_ids, dets.predicted
        )
