"""What the pipeline hands out (`Result`) and to whom (`Consumer`).

Consumers that do real work on their own thread behind a bounded queue (drawing, encoding,
writing) build on `camapp.record.base.Worker`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol, runtime_checkable

from camapp.pipeline.stats import Stats
from camapp.types import Detections, Frame

if TYPE_CHECKING:
    from camapp.pipeline.objects import ObjectInfo
    from camapp.track.base import TrackInfo


@dataclass(frozen=True, eq=False)
class Result:
    """Detections with the very frame they were computed from, and the stats at that moment.

    `track` is what the tracking stage added (events, zone occupancy, counts), when it runs;
    `objects` the objects that started, changed or ended on this frame (`camapp.pipeline.objects`),
    None for a result no pipeline made.
    """

    frame: Frame
    detections: Detections
    stats: Stats
    track: TrackInfo | None = None
    objects: ObjectInfo | None = None


@runtime_checkable
class Consumer(Protocol):
    """Receives every result. `submit` runs on the pipeline's thread and must not block."""

    def submit(self, result: Result) -> None: ...

    def close(self) -> None: ...
