"""What a tracker offers, what the tracking stage hands on, and the registry of tracker kinds.

A tracker follows boxes across frames: fed the fresh detections of a frame it returns them with
track ids; asked to `predict` (no detection for this frame) it returns where its tracks should be
now, marked predicted. Backends import their library lazily, so `camapp` runs without them.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from camapp.errors import CamappError
from camapp.types import Detections


class Tracker(Protocol):
    """One frame per call, in frame order.

    `threshold` is the user's score threshold: a new object needs it. The detector runs at the
    lower `low` under a tracker, and a box between the two is kept only when it continues an
    object already followed (ByteTrack's second association): a television whose score wavers
    around the threshold keeps one id instead of a new one each time it dips.
    """

    threshold: float

    @property
    def low(self) -> float:
        """The score the detector should keep boxes from while this tracker runs."""
        ...

    def update(self, detections: Detections) -> Detections:
        """Fresh detections (down to `low`) -> the boxes to show, with `track_ids`: every box at
        or above `threshold`, and those below it that continue a followed object."""
        ...

    def predict(self) -> Detections:
        """No detection for this frame: the live tracks moved one frame on, `predicted` set."""
        ...


@dataclass(frozen=True)
class TrackInfo:
    """What the tracking stage adds to one result: events of this frame, zone occupancy, counts
    so far and short trails (pixels) for drawing. Lines and zones are in 0-1 coordinates."""

    events: tuple[dict[str, Any], ...] = ()
    inside: Mapping[str, tuple[int, ...]] = field(default_factory=dict)  # zone -> track ids in it
    counts: Mapping[str, Mapping[str, int]] = field(default_factory=dict)  # line -> "dir label" -> n
    trails: Mapping[int, tuple[tuple[float, float], ...]] = field(default_factory=dict)
    lines: tuple[Any, ...] = ()  # camapp.track.regions.Line
    zones: tuple[Any, ...] = ()  # camapp.track.regions.Zone
    predicted: bool = False  # no fresh detection for this frame

    def summary(self) -> str:
        """`door: 3 down person, 1 up person | desk: 2 inside`, for the heads-up line."""
        parts = []
        for line in self.lines:
            c = self.counts.get(line.name, {})
            parts.append(f"{line.name}: " + (", ".join(f"{n} {k}" for k, n in sorted(c.items())) or "0"))
        for zone in self.zones:
            parts.append(f"{zone.name}: {len(self.inside.get(zone.name, ()))} inside")
        return " | ".join(parts)


# kind -> (module, class); imported only when asked for
TRACKERS: dict[str, tuple[str, str]] = {
    "bytetrack": ("camapp.track.bytetrack", "ByteTrackTracker"),
}


def open_tracker(kind: str = "bytetrack", **options: Any) -> Tracker:
    """The tracker of `kind`; a missing library is a one-line error naming the install command."""
    if kind not in TRACKERS:
        raise CamappError(f"unknown tracker {kind!r}; choose from {', '.join(TRACKERS)}")
    module, name = TRACKERS[kind]
    try:
        cls = getattr(importlib.import_module(module), name)
    except ImportError as exc:
        raise CamappError(
            f"tracking needs the 'track' extra ({exc.name or exc}): in your camapp clone, .venv/bin/pip install -e '.[track]'"
        ) from None
    tracker: Tracker = cls(**options)
    return tracker
