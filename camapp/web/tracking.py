"""The page's Tracking box: its POST body and what it changes.

The page owns two regions, the line named "line" and the zone named "zone"; everything else the
user started `camapp run` with (other `--line`/`--zone`s, `--roi`, `--detect-every`, `--trail`)
is kept as it is, and "Clear" removes only the page's two. Turning tracking off keeps the whole
form here, so on again brings back the command line's regions and the page's. The rules are the
desktop app's too (`camapp.session.forms`); here a bad region becomes a 400 naming the body's field.
"""

from __future__ import annotations

from typing import Any

from camapp.errors import FieldError
from camapp.session import DRAWN_LINE, DRAWN_ZONE, TrackSpec
from camapp.session.forms import DrawnChange, apply_drawn, drawn_of
from camapp.web.checks import BadRequest, flag, is_real, known

MAX_POINTS = 64  # a zone drawn by hand has a handful; more is not a drawing
FIELDS = ("on", "line", "zone", "trail")


def parse_change(body: dict[str, Any]) -> DrawnChange:
    """`{"on": bool, "line": [[x, y], [x, y]] | null, "zone": [[x, y], ...] | null, "trail": bool}`,
    every key optional; a shape mistake is a `BadRequest` (ranges are the regions' own)."""
    known(body, FIELDS, "tracking")
    return DrawnChange(
        on=flag(body, "on") if "on" in body else None,
        line=_points(body, "line") if "line" in body else None,
        zone=_points(body, "zone") if "zone" in body else None,
        trail=flag(body, "trail") if "trail" in body else None,
    )


def _points(body: dict[str, Any], key: str) -> tuple[tuple[float, float], ...]:
    value = body[key]
    return () if value is None else points(value, key, " (null removes it)")


def points(value: Any, key: str, more: str = "") -> tuple[tuple[float, float], ...]:
    """A drawn region's points from the body's `key`: up to `MAX_POINTS` [x, y] pairs of finite
    numbers, else a `BadRequest` (`more` adds to its reason)."""
    if (
        not isinstance(value, list)
        or not 0 < len(value) <= MAX_POINTS
        or not all(isinstance(p, list) and len(p) == 2 and all(is_real(v) for v in p) for p in value)
    ):
        raise BadRequest(f"{key!r} must be a list of [x, y] points{more}")
    return tuple((float(x), float(y)) for x, y in value)


def apply_change(form: TrackSpec, change: DrawnChange) -> TrackSpec:
    """`form` with the page's change made (`camapp.session.forms.apply_drawn`); a region camapp
    cannot use is a `BadRequest` naming the body's field (`'zone': the polygon crosses itself`)."""
    try:
        return apply_drawn(form, change)
    except FieldError as exc:
        raise BadRequest(f"{exc.field!r}: {exc.reason}") from None


def page_status(tracking: dict[str, Any] | None) -> dict[str, Any]:
    """The page's view of the session's `status()["tracking"]`: on/off, the page's line and zone
    (points or None), the other regions' names, and the counts so far."""
    t = tracking or {}
    on = bool(t.get("enabled"))
    line, zone = drawn_of(t)
    names = [r["name"] for r in [*t.get("lines", []), *t.get("zones", [])]] if on else []
    return {
        "on": on,
        "trail": t.get("trail", 0) if on else 0,
        "roi": t.get("roi"),
        "detect_every": t.get("detect_every", 1) if on else 1,
        "line": line,
        "zone": zone,
        "others": sorted(n for n in names if n not in (DRAWN_LINE, DRAWN_ZONE)),
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
