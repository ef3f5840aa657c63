"""The page's Motion box: its POST body, the masks it draws, and what the page shows of them.

The body switches the gate (`on`), adds one drawn mask (`mask`: points) or replaces them all
(`masks`: a list of point lists, `[]` clears, the command line's masks too). The points are
checked for shape here; whether they make a mask is `camapp.session.forms`' call, as for the
desktop app, and its reason becomes a 400 naming the body's field.
"""

from __future__ import annotations

from typing import Any

from camapp.errors import FieldError
from camapp.session import MotionSpec
from camapp.session.forms import MaskChange, apply_masks, mask_args
from camapp.web.checks import BadRequest, flag, known
from camapp.web.tracking import points

FIELDS = ("on", "mask", "masks")
MAX_MASKS = 32  # hand-drawn masks are a few; more is not a drawing


def parse_motion(body: dict[str, Any]) -> MaskChange:
    """`{"on": bool, "mask": [[x, y], ...], "masks": [[[x, y], ...], ...]}`, every key optional;
    a shape mistake is a `BadRequest`."""
    known(body, FIELDS, "motion")
    masks = body.get("masks")
    if "masks" in body and (not isinstance(masks, list) or len(masks) > MAX_MASKS):
        raise BadRequest(f"'masks' must be a list of at most {MAX_MASKS} masks, each a list of [x, y] points")
    return MaskChange(
        on=flag(body, "on") if "on" in body else None,
        add=_polygon(body["mask"], "mask") if "mask" in body else None,
        masks=[_polygon(m, "masks") for m in masks] if masks is not None else None,
    )


def _polygon(value: Any, key: str) -> tuple[tuple[float, float], ...]:
    if value is None:
        raise BadRequest(f"{key!r} must be a list of [x, y] points")
    return points(value, key)


def apply_motion(form: MotionSpec, change: MaskChange) -> MotionSpec:
    """`form` with the page's masks (`camapp.session.forms.apply_masks`); a polygon that is not a
    mask is a `BadRequest` naming the body's field (`'mask': a mask needs at least 3 points, got 2`)."""
    try:
        return apply_masks(form, change)
    except FieldError as exc:
        field = "mask" if change.add is not None and change.masks is None else "masks"
        raise BadRequest(f"{field!r}: {exc.reason}") from None


def page_masks(form: MotionSpec | None) -> dict[str, Any]:
    """What the page shows of the masks, the gate on or off: their points, and the command-line
    options that give them to `camapp run` (the page has no settings file to keep them in)."""
    masks = form.masks if form is not None else ()
    return {"points": [[list(p) for p in m.points] for m in masks], "args": mask_args(masks)}
