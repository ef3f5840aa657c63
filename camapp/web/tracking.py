"""The page's Tracking box: its POST body, and the `TrackSpec` it turns into.

The page owns two regions, the line named "line" and the zone named "zone"; everything else the
user started `camapp run` with (other `--line`/`--zone`s, `--roi`, `--detect-every`, `--trail`)
is kept as it is, and "Clear" removes only the page's two. Turning tracking off keeps the whole
form here, so on again brings back the command line's regions and the page's.

The coordinates go to `TrackSpec.parse` as the command line's text, so a bad line or zone gets
the same one-line message as `camapp run --line`.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from camapp.session import DRAWN_LINE as LINE
from camapp.session import DRAWN_TRAIL as TRAIL
from camapp.session import DRAWN_ZONE as ZONE
from camapp.session import TrackSpec
from camapp.web.checks import BadRequest, flag, is_real

MAX_POINTS = 64  # a zone drawn by hand has a handful; more is not a drawing


@dataclasses.dataclass(frozen=True)
class TrackChange:
    """What one POST changes; None leaves that part as it is. `line`/`zone` are the command
    line's coordinate text (`x0,y0,x1,y1`), "" removes the page's region."""

    on: bool | None = None
    line: str | None = None
    zone: str | None = None
    trail: bool | None = None


def parse_change(body: dict[str, Any]) -> TrackChange:
    """`{"on": bool, "line": [[x, y], [x, y]] | null, "zone": [[x, y], ...] | null, "trail": bool}`,
    every key optional; a shape mistake is a `BadRequest` (ranges are `TrackSpec.parse`'s)."""
    unknown = sorted(set(body) - {"on", "line", "zone", "trail"})
    if unknown:
        raise BadRequest(f"unknown tracking field {unknown[0][:40]!r}")
    if not body:
        raise BadRequest("give one or more of 'on', 'line', 'zone', 'trail'")
    return TrackChange(
        on=flag(body, "on") if "on" in body else None,
        line=_points(body, "line") if "line" in body else None,
        zone=_points(body, "zone") if "zone" in body else None,
        trail=flag(body, "trail") if "trail" in body else None,
    )


def _points(body: dict[str, Any], key: str) -> str:
    value = body[key]
    if value is None:
        return ""
    if (
        not isinstance(value, list)
        or not 0 < len(value) <= MAX_POINTS
        or not all(isinstance(p, list) and len(p) == 2 and all(is_real(v) for v in p) for p in value)
    ):
        raise BadRequest(f"{key!r} must be a list of [x, y] points (null removes it)")
    return ",".join(repr(float(v)) for p in value for v in p)


def apply_change(form: TrackSpec, change: TrackChange) -> TrackSpec:
    """`form` with `change` made: the page's line and zone replaced or removed, every other
    region, the roi and detect-every untouched. A bad region raises `CamappError`."""
    lines = tuple(x for x in form.lines if x.name != LINE) if change.line is not None else form.lines
    zones = tuple(z for z in form.zones if z.name != ZONE) if change.zone is not None else form.zones
    new = TrackSpec.parse(
        [f"{LINE}:{change.line}"] if change.line else [], [f"{ZONE}:{change.zone}"] if change.zone else []
    )
    trail = form.trail
    if change.trail is not None:
        trail = (form.trail or TRAIL) if change.trail else 0
    return dataclasses.replace(
        form,
        enabled=form.enabled if change.on is None else change.on,
        lines=lines + new.lines,
        zones=zones + new.zones,
        trail=trail,
    )


def for_session(form: TrackSpec) -> TrackSpec | None:
    """What the session runs for `form`: off keeps only the detection region (the session runs
    no tracker then, and a disabled spec with regions is refused: they go with tracking)."""
    if form.enabled:
        return form
    return TrackSpec(enabled=False, roi=form.roi) if form.roi is not None else None


def page_status(tracking: dict[str, Any] | None) -> dict[str, Any]:
    """The page's view of the session's `status()["tracking"]`: on/off, the page's line and zone
    (points or None), the other regions' names, and the counts so far."""
    t = tracking or {}
    on = bool(t.get("enabled"))
    lines = {x["name"]: x["points"] for x in t.get("lines", [])} if on else {}
    zones = {z["name"]: z["points"] for z in t.get("zones", [])} if on else {}
    return {
        "on": on,
        "trail": t.get("trail", 0) if on else 0,
        "roi": t.get("roi"),
        "detect_every": t.get("detect_every", 1) if on else 1,
        "line": lines.get(LINE),
        "zone": zones.get(ZONE),
        "others": sorted(n for n in [*lines, *zones] if n not in (LINE, ZONE)),
        "distinct": t.get("distinct", {}) if on else {},
        "counts": t.get("counts", {}) if on else {},
        "occupancy": {
            name: {
                "inside": len(o.get("inside", [])),
                "visits": o.get("visits", 0),
                "dwell": o.get("mean_dwell"),
            }
            for name, o in (t.get("occupancy", {}) if on else {}).items()
        },
    }
