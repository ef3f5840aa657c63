"""What the front-ends that draw and record by hand share: the drawn line and zone from points,
the Tracking box's state as a `TrackSpec`, the motion masks drawn as a `MotionSpec`, and the
names of the recordings camapp picks.

The desktop app and the browser view both let the user draw one counting line, one zone and any
number of motion masks (in 0-1 coordinates of the frame), switch tracking and trails, and start
a recording camapp names. That logic is here once, free of Qt and aiohttp. A bad region is a `FieldError` (field, region,
reason); each front-end phrases it for what the user touched: the command line names its flag,
the app its control ("Line not set: ..."), the page its JSON field.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from camapp.errors import FieldError
from camapp.session.motion import MotionSpec
from camapp.session.specs import DRAWN_LINE, DRAWN_TRAIL, DRAWN_ZONE, TrackSpec, stamped

Point = tuple[float, float]
Points = Sequence[Sequence[float]]
MASK = "motion-mask"  # the field a bad drawn mask names (the command line's flag)
MASK_DIGITS = 4  # drawn masks keep 1e-4 of the frame (a tenth of a pixel at 1000 px): short texts
RECORDING = "camapp.mp4"  # stamped (camapp-YYYYmmdd-HHMMSS.mp4) or, for segments, numbered


@dataclasses.dataclass(frozen=True)
class DrawnChange:
    """One change of a Tracking box; None leaves that part as it is. `line` and `zone` are points
    in 0-1 coordinates; an empty sequence removes the drawn region."""

    on: bool | None = None
    line: Points | None = None
    zone: Points | None = None
    trail: bool | None = None


def drawn_line(ends: Points) -> Any:
    """The drawn counting line (a `camapp.track` `Line` named `DRAWN_LINE`); `FieldError` if bad."""
    from camapp.track.regions import Line

    return Line.of(DRAWN_LINE, ends)


def drawn_zone(corners: Points) -> Any:
    """The drawn zone (a `camapp.track` `Zone` named `DRAWN_ZONE`); `FieldError` if bad."""
    from camapp.track.regions import Zone

    return Zone.of(DRAWN_ZONE, corners)


def apply_drawn(form: TrackSpec, change: DrawnChange) -> TrackSpec:
    """`form` with `change` made: the drawn line and zone replaced or removed, every other region
    (given on the command line), the roi and detect-every untouched. Trails on keep a trail length
    already given, else take `DRAWN_TRAIL`. A bad region raises `FieldError`, `form` unchanged."""
    lines, zones = form.lines, form.zones
    if change.line is not None:
        lines = tuple(x for x in lines if x.name != DRAWN_LINE) + (
            (drawn_line(change.line),) if change.line else ()
        )
    if change.zone is not None:
        zones = tuple(z for z in zones if z.name != DRAWN_ZONE) + (
            (drawn_zone(change.zone),) if change.zone else ()
        )
    trail = form.trail
    if change.trail is not None:
        trail = (form.trail or DRAWN_TRAIL) if change.trail else 0
    return dataclasses.replace(
        form, enabled=form.enabled if change.on is None else change.on, lines=lines, zones=zones, trail=trail
    )


def for_session(form: TrackSpec) -> TrackSpec | None:
    """What the session runs for a form: off keeps only the detection region (the session runs no
    tracker then, and refuses a disabled spec with regions: they go with tracking)."""
    if form.enabled:
        return form
    return TrackSpec(enabled=False, roi=form.roi) if form.roi is not None else None


def drawn_of(tracking: Mapping[str, Any] | None) -> tuple[list[list[float]] | None, list[list[float]] | None]:
    """(line points, zone points) of the drawn regions in a `TrackSpec.to_dict()` or the session's
    status["tracking"]; None where there is none (or tracking is off)."""
    if not tracking or not tracking.get("enabled"):
        return None, None
    line = next((x["points"] for x in tracking.get("lines", []) if x["name"] == DRAWN_LINE), None)
    zone = next((z["points"] for z in tracking.get("zones", []) if z["name"] == DRAWN_ZONE), None)
    return line, zone


@dataclasses.dataclass(frozen=True)
class MaskChange:
    """One change of the motion masks (and the gate) from a front-end; None leaves that part as it
    is. `add` is one drawn polygon (0-1 points) added to the masks; `masks` replaces them all (an
    empty sequence removes every mask, the command line's too)."""

    on: bool | None = None
    add: Points | None = None
    masks: Sequence[Points] | None = None


def drawn_mask(points: Points) -> Any:
    """A drawn motion mask (a `camapp.motion` `MotionMask`, its points rounded to `MASK_DIGITS`);
    `FieldError` naming `MASK` when it is not one (under 3 points, off the frame, no area)."""
    from camapp.motion import MotionMask

    try:
        return MotionMask.of([round(float(v), MASK_DIGITS) for pt in points for v in pt])
    except ValueError as exc:
        raise FieldError(MASK, str(exc).partition(": ")[2] or str(exc)) from None


def apply_masks(form: MotionSpec, change: MaskChange) -> MotionSpec:
    """`form` with its masks replaced (`change.masks`) and then one added (`change.add`); the
    mode, sensitivity, minimum area, keep-alive and overlay stay. A bad mask raises `FieldError`,
    `form` unchanged. Whether the gate runs (`change.on`) is the caller's: the form is kept while
    it is off, so masks drawn then apply when it is turned on."""
    masks = form.masks if change.masks is None else tuple(drawn_mask(m) for m in change.masks)
    if change.add is not None:
        masks += (drawn_mask(change.add),)
    return dataclasses.replace(form, masks=masks)


def mask_args(masks: Sequence[Any]) -> str:
    """The command-line options for `masks` (`--motion-mask x,y,... --motion-mask ...`), to make
    masks drawn in a front-end permanent in a service file ("" for none)."""
    return " ".join(f"--motion-mask {m.text()}" for m in masks)


def recording_path(folder: Path, *, segmented: bool = False) -> Path:
    """Where a recording camapp names goes: `camapp-YYYYmmdd-HHMMSS.mp4` (a taken name becomes
    `...-2.mp4`: never an overwrite), or `camapp.mp4` whose segments get numbers of their own."""
    return folder / RECORDING if segmented else stamped(folder / RECORDING)
