"""Tracking in the session: the pipeline a `TrackSpec` asks for, live changes, and its status.

The session builds the `TrackingPipeline` and its `TrackStage` (front-ends only hand it a
`TrackSpec`), so the desktop app, `camapp run` and the browser view all get the same ids,
counts and line/zone events.
"""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import Future
from typing import Any

from camapp.session.base import SessionBase
from camapp.session.motion import MotionSpec, check_motion, new_gate
from camapp.session.specs import TrackSpec, check_zones


class TrackingCommands(SessionBase):
    """`set_tracking`, mixed into `Session` (whose `_open` restarts a source)."""

    def set_tracking(self, spec: TrackSpec | None) -> Future:
        """Tracking on (`TrackSpec`) or off (None), remembered for the next source. Applied on
        the worker, between two frames: on/off, lines, zones, trail and detect-every change live
        (the source keeps its position, recordings go on; turning it on starts fresh counts).
        Only another region (`roi`) restarts the pipeline on the same source (as `set_model`
        does: a video recording ends there, event clips and the log follow). The future holds
        "live", "restarted" or "remembered" (no source yet)."""

        def apply() -> str:
            # event clips waiting for a zone keep tracking on, with that zone (say so, refuse)
            check_zones(watched_zones(self.armed, self.outputs), spec)
            if spec is not None:
                spec.check()
            check_motion(self.motion, spec)
            old, self.tracking = self.tracking, spec
            if self.pipeline is None:
                return "remembered"
            live, stage = apply_live(self.pipeline, self.stage, old, spec)
            if live:
                with self._lock:
                    self.stage = stage
                return "live"
            if self.source is not None and self.model is not None:
                self._generation += 1
                self._open(self.source, self.model, [], None, self._limits)  # type: ignore[attr-defined]
            return "restarted"

        return self._job(apply, "setting")

    def set_motion(self, spec: MotionSpec | None) -> Future:
        """The motion gate on (`MotionSpec`) or off (None), remembered for the next source and
        applied live between two frames (a new gate learns the background afresh; the same
        mode with other settings keeps it). The future holds "live" or "remembered"."""

        def apply() -> str:
            check_motion(spec, self.tracking)
            self.motion = spec
            p = self.pipeline
            if p is None:
                return "remembered"
            gate = getattr(p, "motion", None)
            if spec is None:
                p.set_motion(None)
            elif gate is not None:
                gate.set_settings(spec.settings(), regions=spec.mode == "regions")
                gate.keepalive_s, gate.overlay = spec.keepalive, spec.overlay
            else:
                gate = new_gate(spec, self.detector)
                p.set_motion(gate)
            with self._lock:
                self.moving = self.moving and spec is not None
                self.motion_gate = gate if spec is not None else self.motion_gate
            return "live"

        return self._job(apply, "setting")


def new_stage(source: Any, tracking: TrackSpec) -> Any:
    """A `TrackStage` for `tracking` (enabled) with a fresh tracker at the source's rate."""
    from camapp.track import TrackStage, open_tracker

    fps = getattr(source, "fps", None) or 30.0
    return TrackStage(open_tracker(fps=fps), tracking.lines, tracking.zones, trail=tracking.trail)


def build_pipeline(
    source: Any,
    detector: Any,
    consumers: Sequence[Any],
    tracking: TrackSpec | None,
    motion: MotionSpec | None = None,
    **limits: Any,
) -> tuple[Any, Any]:
    """(pipeline, stage): always a `TrackingPipeline`, so tracking and the motion gate can be
    switched on later without a restart; its `TrackStage` is None while tracking is off."""
    from camapp.pipeline.tracking import TrackingPipeline

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


def apply_live(pipeline: Any, stage: Any, old: TrackSpec | None, new: TrackSpec | None) -> tuple[bool, Any]:
    """Apply `new` to the running pipeline between two frames if it can be: (True, the stage
    now running or None), or (False, stage) when the pipeline must restart (another region)."""
    old_roi = old.roi if old is not None else None
    new_roi = new.roi if new is not None else None
    if not callable(getattr(pipeline, "set_stage", None)) or old_roi != new_roi:
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


def watched_zones(armed: dict[str, Any], outputs: dict[str, Any]) -> list[str]:
    """The `zone:NAME` entries event clips (armed or running) wait for."""
    classes = list(getattr(armed.get("events"), "classes", ())) + list(
        getattr(outputs.get("events"), "classes", ())
    )
    return [c for c in classes if c.startswith("zone:")]


def track_status(tracking: TrackSpec | None, stage: Any) -> dict[str, Any] | None:
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
