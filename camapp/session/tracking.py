"""Tracking in the session: the pipeline a `TrackSpec` asks for, live changes, and its status
(the command itself, `Session.set_tracking`, is in `camapp.session.core`).

The session builds the `TrackingPipeline` and its `TrackStage` (front-ends only hand it a
`TrackSpec`), so the desktop app, `camapp run` and the browser view all get the same ids,
counts and line/zone events.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from camapp.session.motion import MotionSpec, new_gate
from camapp.session.specs import EventSpec, OutputSpec, TrackSpec

if TYPE_CHECKING:
    from camapp.detect.base import Detector
    from camapp.pipeline.consumer import Consumer
    from camapp.pipeline.tracking import TrackingPipeline
    from camapp.sources.base import Source
    from camapp.track import TrackStage


def new_stage(source: Source, tracking: TrackSpec) -> TrackStage:
    """A `TrackStage` for `tracking` (enabled) with a fresh tracker at the source's rate."""
    from camapp.track import TrackStage, open_tracker

    fps = getattr(source, "fps", None) or 30.0
    return TrackStage(open_tracker(fps=fps), tracking.lines, tracking.zones, trail=tracking.trail)


def build_pipeline(
    source: Source,
    detector: Detector,
    consumers: Sequence[Consumer],
    tracking: TrackSpec | None,
    motion: MotionSpec | None = None,
    **limits: Any,
) -> tuple[TrackingPipeline, TrackStage | None]:
    """(pipeline, stage): always a `TrackingPipeline`, so tracking and the motion gate can be
    switched on later without a restart; its `TrackStage` is None while tracking is off."""
    from camapp.pipeline.tracking import TrackingPipeline
    from camapp.session.devices import check_region

    if tracking is not None and tracking.roi is not None:
        check_region(detector.device)
    enabled = tracking is not None and tracking.enabled
    stage = new_stage(source, tracking) if enabled else None  # type: ignore[arg-type]
    pipeline = TrackingPipeline(
        source,
        detector,
        list(consumers),
        stage=stage,
        detect_every=tracking.detect_every if enabled else 1,  # type: ignore[union-attr]
        roi=tracking.roi if tracking is not None else None,
        motion=new_gate(motion, detector) if motion is not None else None,
        **limits,
    )
    return pipeline, stage


def apply_live(
    pipeline: TrackingPipeline, stage: TrackStage | None, old: TrackSpec | None, new: TrackSpec | None
) -> tuple[bool, TrackStage | None]:
    """Apply `new` to the running pipeline between two frames if it can be: (True, the stage
    now running or None), or (False, stage) when the pipeline must restart (another region)."""
    old_roi = old.roi if old is not None else None
    new_roi = new.roi if new is not None else None
    if old_roi != new_roi:
        return False, stage
    if new is None or not new.enabled:
        pipeline.set_stage(None)
        return True, None
    if stage is None:  # switched on: fresh ids and counts
        stage = new_stage(pipeline.source, new)
    else:
        stage.set_regions(new.lines, new.zones, new.trail)
    pipeline.set_stage(stage, new.detect_every)
    return True, stage


def watched_zones(specs: Iterable[OutputSpec]) -> list[str]:
    """The `zone:NAME` entries event clips (armed or running: their specs) wait for."""
    return [c for s in specs if isinstance(s, EventSpec) for c in s.classes if c.startswith("zone:")]


def track_status(tracking: TrackSpec | None, stage: TrackStage | None) -> dict[str, Any] | None:
    """The `tracking` entry of the status: the spec, then the counts so far (`distinct` per
    label, `lines` name -> "direction label" -> n, `zones` name -> inside/visits/mean_dwell)."""
    if tracking is None:
        return None
    out = tracking.to_dict()
    snap = stage.snapshot() if stage is not None else {}
    out["distinct"] = snap.get("distinct", {})
    out["counts"] = snap.get("lines", {})
    out["occupancy"] = snap.get("zones", {})
    return out


def track_lines(status: dict[str, Any]) -> list[str]:
    """`person: 6 distinct`, `line door: 6 up person`, `zone desk: ...`: the run summary's
    tracking lines, from a status snapshot ([] without tracking)."""
    from camapp.track.stage import summary_lines

    t = status.get("tracking")
    if not t or not t["enabled"]:
        return []
    return summary_lines({"distinct": t["distinct"], "lines": t["counts"], "zones": t["occupancy"]})
