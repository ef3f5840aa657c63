"""Tracking options (`--track`, `--line`, `--zone`, `--roi`, `--detect-every`) and the stage they build.

Kept apart from `camapp run` so any front-end that builds a pipeline can add them: call
`add_track_args(parser)`, then `TrackSetup.from_args(args)` before opening the source (option
mistakes are reported at once) and `setup.pipeline(...)` once the detector is open.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from camapp.cli.common import positive_int
from camapp.errors import CamappError
from camapp.track.regions import Line, Roi, Zone

T = TypeVar("T")


def _region(parse: Callable[[str], T]) -> Callable[[str], T]:
    def convert(text: str) -> T:
        try:
            return parse(text)
        except ValueError as exc:
            raise argparse.ArgumentTypeError(str(exc)) from None

    convert.__name__ = parse.__qualname__.split(".")[0].lower()
    return convert


def add_track_args(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("tracking (needs the track extra: pip install 'camapp[track]')")
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


@dataclass
class TrackSetup:
    """What the tracking options ask for; `stage` is made by `pipeline()` (it needs the model)."""

    track: bool
    lines: tuple[Line, ...]
    zones: tuple[Zone, ...]
    trail: int
    detect_every: int
    roi: Roi | None
    stage: Any = None  # camapp.track.TrackStage once built

    @classmethod
    def from_args(cls, args: argparse.Namespace) -> TrackSetup:
        """Cross-option checks; a mistake is a one-line CamappError (exit 2)."""
        lines, zones = tuple(args.line or ()), tuple(args.zone or ())
        if not args.track:
            for flag, given in (("--line", lines), ("--zone", zones), ("--trail", args.trail)):
                if given:
                    raise CamappError(f"{flag} goes with --track")
            if args.detect_every > 1:
                raise CamappError("--detect-every goes with --track (the tracker fills the frames between)")
        names = [r.name for r in lines + zones]
        dup = sorted({n for n in names if names.count(n) > 1})
        if dup:
            raise CamappError(f"lines and zones need different names; {', '.join(dup)} is used twice")
        known = {z.name for z in zones}
        for entry in getattr(args, "record_on", None) or ():
            if entry.startswith("zone:") and entry[5:] not in known:
                have = ", ".join(sorted(known)) or "none given (--zone NAME:x,y,...)"
                raise CamappError(f"--record-on {entry}: unknown zone {entry[5:]!r}; zones: {have}")
        if args.track:
            from camapp.track import open_tracker

            open_tracker()  # a missing extra is reported now, before the camera opens
        return cls(args.track, lines, zones, args.trail or 0, args.detect_every, args.roi)

    def pipeline(self, source: Any, detector: Any, consumers: Sequence[Any], **options: Any) -> Any:
        """A `TrackingPipeline` when tracking or a region is asked for, else the plain `Pipeline`."""
        from camapp.pipeline import Pipeline

        if not self.track and self.roi is None:
            return Pipeline(source, detector, consumers, **options)
        from camapp.pipeline.tracking import TrackingPipeline
        from camapp.track import TrackStage, open_tracker

        if self.track:
            fps = getattr(source, "fps", None) or 30.0
            self.stage = TrackStage(open_tracker(fps=fps), self.lines, self.zones, trail=self.trail)
        return TrackingPipeline(
            source,
            detector,
            consumers,
            stage=self.stage,
            detect_every=self.detect_every,
            roi=self.roi,
            **options,
        )

    def summary(self) -> list[str]:
        """`person: 6 distinct` and the counts per line, for the end of a run."""
        return self.stage.summary() if self.stage is not None else []


def record_on_classes(entries: list[str] | None) -> list[str] | None:
    """The class names among `--record-on` entries (zone:NAME entries are checked by `TrackSetup`)."""
    return [e for e in entries or () if not e.startswith("zone:")] or None
