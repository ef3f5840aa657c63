"""Motion in the session: what a front-end asks for (`MotionSpec`), the gate it builds, its status
and its events.

`--motion` (mode "on") runs the detector only while something moves, a followed object moves,
or every `keepalive` seconds; mode "regions" also runs it on square crops around the motion,
cut from the full-resolution frame. Masks, sensitivity and the minimum area are in 0-1 fractions.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from camapp.errors import CamappError
from camapp.motion import MotionMask, MotionSettings

MODES = ("on", "regions")


@dataclass(frozen=True)
class MotionSpec:
    """The motion gate: `mode` "on" or "regions", `sensitivity` 0-1, `min_area` (a fraction of
    the frame), `masks` (`MotionMask` polygons ignored), a keep-alive detection every `keepalive`
    seconds, and `overlay` (draw the moving areas and regions, to tune the settings).
    Build from text with `MotionSpec.parse`; a mistake is a one-line `CamappError`."""

    mode: str = "on"
    sensitivity: float = 0.5
    min_area: float = 0.0005
    masks: tuple[MotionMask, ...] = ()
    keepalive: float = 3.0
    overlay: bool = False

    def __post_init__(self) -> None:
        if self.mode not in MODES:
            raise CamappError(f"motion mode {self.mode!r}: choose one of {', '.join(MODES)}")
        if not self.keepalive > 0:
            raise CamappError(f"the keep-alive interval must be positive, got {self.keepalive:g} s")
        self.settings()  # sensitivity and area in range

    @classmethod
    def parse(
        cls,
        mode: str = "on",
        *,
        sensitivity: float = 0.5,
        min_area: float = 0.0005,
        masks: Iterable[str] = (),
        keepalive: float = 3.0,
        overlay: bool = False,
    ) -> MotionSpec:
        try:
            parsed = tuple(MotionMask.parse(t) for t in masks)
        except ValueError as exc:
            raise CamappError(str(exc)) from None
        return cls(mode, float(sensitivity), float(min_area), parsed, float(keepalive), bool(overlay))

    def settings(self) -> MotionSettings:
        try:
            return MotionSettings(self.sensitivity, self.min_area, self.masks)
        except ValueError as exc:
            raise CamappError(str(exc)) from None

    def to_dict(self) -> dict[str, Any]:
        """JSON-able: what the status and a settings file hold."""
        return {
            "mode": self.mode,
            "sensitivity": self.sensitivity,
            "min_area": self.min_area,
            "masks": [[list(p) for p in m.points] for m in self.masks],
            "keepalive": self.keepalive,
            "overlay": self.overlay,
        }


def new_gate(spec: MotionSpec, detector: Any) -> Any:
    """The `MotionGate` for `spec`; regions at least the detector's current input size."""
    from camapp.pipeline.gate import MotionGate

    return MotionGate(
        spec.settings(),
        regions=spec.mode == "regions",
        keepalive_s=spec.keepalive,
        input_size=lambda: int(detector.input_size),
        overlay=spec.overlay,
    )


def check_motion(motion: MotionSpec | None, tracking: Any) -> None:
    """Options that do not go together (a one-line `CamappError`)."""
    if motion is not None and motion.mode == "regions" and getattr(tracking, "roi", None) is not None:
        raise CamappError(
            "--motion regions and --roi do not go together: regions are cut around the motion; "
            "use --motion-mask to ignore areas"
        )


def motion_event(result: Any, was: bool) -> dict[str, Any] | None:
    """A `motion` event (start or end) when `result`'s frame turns motion on or off, else None."""
    plan = getattr(result, "gate", None)
    if plan is None or plan.motion is None or plan.moving == was:
        return None
    frame = result.frame
    t = frame.media_time if frame.media_time is not None else frame.timestamp
    boxes = plan.motion.boxes.tolist()
    return {
        "event": "start" if plan.moving else "end",
        "t": round(float(t), 3),
        "frame": frame.index,
        "boxes": boxes,
    }


def motion_status(
    spec: MotionSpec | None, stats: Any, gate: Any, moving: bool, events: int
) -> dict[str, Any] | None:
    """The `motion` entry of the status: the spec, whether motion is on, frames detected and
    skipped (from the pipeline's `stats`), motion starts so far, and how often the `gate`'s
    background was learnt afresh."""
    if spec is None:
        return None
    out = spec.to_dict()
    frames = stats.frames if stats is not None else 0
    skipped = stats.predicted if stats is not None else 0
    out.update(
        moving=moving,
        detected=frames - skipped,
        skipped=skipped,
        starts=events,
        recalibrations=gate.detector.calibrations if gate is not None else 0,
    )
    return out
