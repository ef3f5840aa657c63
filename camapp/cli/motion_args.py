"""Motion options (`--motion [regions]`, `--motion-sensitivity`, `--motion-min-area`,
`--motion-mask`, `--motion-keepalive`, `--motion-overlay`) and the session's `MotionSpec` they ask for.

Kept apart from `camapp run` so another command can offer them: `add_motion_args(parser)`, then
`motion_spec(args)` before opening the source (mistakes are one line, exit 2), then
`Session.set_motion(spec)`.
"""

from __future__ import annotations

import argparse
from typing import Any

from camapp.cli.common import positive_float
from camapp.motion import MotionMask
from camapp.motion.detector import check_fraction


def fraction(what: str) -> Any:
    def convert(text: str) -> float:
        try:
            return check_fraction(float(text), what)
        except ValueError as exc:
            raise argparse.ArgumentTypeError(
                str(exc) if "between" in str(exc) else f"{text!r} is not a number"
            ) from None

    convert.__name__ = "fraction"
    return convert


def mask(text: str) -> MotionMask:
    try:
        return MotionMask.parse(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def add_motion_args(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("motion (spend the detector where something moves)")
    g.add_argument(
        "--motion",
        nargs="?",
        const="on",
        choices=("on", "regions"),
        help="run the detector only while something moves (or a followed object does), plus a "
        "keep-alive detection; 'regions': on square crops around the motion at full resolution",
    )
    g.add_argument(
        "--motion-sensitivity",
        type=fraction("--motion-sensitivity"),
        default=0.5,
        metavar="S",
        help="0-1: 1 counts the faintest change (default 0.5)",
    )
    g.add_argument(
        "--motion-min-area",
        type=fraction("--motion-min-area"),
        default=0.0005,
        metavar="A",
        help="smallest moving area that counts, as a fraction of the frame (default 0.0005)",
    )
    g.add_argument(
        "--motion-mask",
        action="append",
        type=mask,
        metavar="x,y,x,y,...",
        help="ignore motion inside this polygon (0-1 coordinates, 3 points or more; repeatable)",
    )
    g.add_argument(
        "--motion-keepalive",
        type=positive_float,
        default=3.0,
        metavar="S",
        help="with --motion: a detection at least every S seconds, motion or not (default 3)",
    )
    g.add_argument("--motion-overlay", action="store_true", help="draw the moving areas and regions")


def motion_spec(args: argparse.Namespace) -> Any:
    """The session's `MotionSpec` (None without --motion); settings given without --motion are
    a one-line `CamappError`."""
    from camapp.errors import CamappError
    from camapp.session import MotionSpec

    if args.motion is None:
        given = [
            flag
            for flag, value, default in (
                ("--motion-sensitivity", args.motion_sensitivity, 0.5),
                ("--motion-min-area", args.motion_min_area, 0.0005),
                ("--motion-mask", args.motion_mask, None),
                ("--motion-keepalive", args.motion_keepalive, 3.0),
                ("--motion-overlay", args.motion_overlay, False),
            )
            if value != default
        ]
        if given:
            raise CamappError(f"{given[0]} goes with --motion")
        return None
    return MotionSpec(
        args.motion,
        args.motion_sensitivity,
        args.motion_min_area,
        tuple(args.motion_mask or ()),
        args.motion_keepalive,
        bool(args.motion_overlay),
    )
