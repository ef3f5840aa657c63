"""Tracking options (`--track`, `--line`, `--zone`, `--roi`, `--detect-every`) and the stage they build.

Kept apart from `camapp run` so another command can offer them: `add_track_args(parser)`, then
`track_spec(args)` before opening the source (option mistakes are reported at once) and hand the
spec to the session (`Session.set_tracking`), which builds the tracking stage.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import Any, TypeVar

from camapp.cli.common import positive_int
from camapp.errors import FieldError
from camapp.track.regions import Line, Roi, Zone

T = TypeVar("T")


def _region(parse: Callable[[str], T]) -> Callable[[str], T]:
    def convert(text: str) -> T:
        try:
            return parse(text)
        except FieldError as exc:  # argparse names the flag: "argument --line: door: ..."
            raise argparse.ArgumentTypeError(
                f"{exc.name}: {exc.reason}" if exc.name else exc.reason
            ) from None

    convert.__name__ = parse.__qualname__.split(".")[0].lower()
    return convert


def add_track_args(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group(
        "tracking (needs the track extra: .venv/bin/pip install -e '.[track]' in your clone)"
    )
    g.add_argument("--track", action="store_true", help="follow objects across frames: ids, counts, events")
    g.add_argument(
        "--line",
        action="append",
        type=_region(Line.parse),
        metavar="NAME:x0,y0,x1,y1",
        help="count crossings of this line per direction and class (0-1 coordinates; repeatable)",
    )
    g.add_argument(
        "--zone",
        action="append",
        type=_region(Zone.parse),
        metavar="NAME:x,y,x,y,...",
        help="report who is inside this polygon and for how long (0-1 coordinates; repeatable)",
    )
    g.add_argument("--trail", type=positive_int, metavar="N", help="draw each object's last N positions")
    g.add_argument(
        "--detect-every",
        type=positive_int,
        default=1,
        metavar="N",
        help="run the detector on every N-th frame, the tracker predicts the boxes between (default 1)",
    )
    g.add_argument(
        "--roi",
        type=_region(Roi.parse),
        metavar="x0,y0,x1,y1",
        help="detect only in this region (0-1 coordinates); boxes are given in full-frame pixels",
    )


def track_spec(args: argparse.Namespace) -> Any:
    """The session's `TrackSpec` the options ask for (None: no tracking, no region). Cross-option
    mistakes and a missing tracker library are a one-line `CamappError` (exit 2), raised before
    the camera opens."""
    from camapp.session import TrackSpec

    spec = TrackSpec(
        bool(args.track),
        tuple(args.line or ()),
        tuple(args.zone or ()),
        args.roi,
        args.detect_every,
        args.trail or 0,
    )
    spec.check(getattr(args, "record_on", None) or ())
    return spec if spec.active else None
