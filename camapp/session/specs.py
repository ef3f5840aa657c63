"""What a front-end asks the session for: plain, frozen values (easy to build from a form, a
command line or JSON), and building the recorders they describe.

The session owns every detector, source and recorder; a front-end only ever hands it these.
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from camapp import outputs
from camapp.errors import CamappError, FieldError, ModelError

if TYPE_CHECKING:
    from camapp.record import Recorder

ErrorCallback = Callable[[str], None]


@dataclass(frozen=True)
class SourceSpec:
    """A source and how to read it (`camapp.sources.make_source` options)."""

    spec: str
    width: int | None = None
    height: int | None = None
    fps: float | None = None
    realtime: bool = True
    loop: bool = False

    @classmethod
    def of(cls, spec: str | SourceSpec) -> SourceSpec:
        """A plain string reads as the desktop app reads it: real-time, a file loops."""
        return spec if isinstance(spec, SourceSpec) else cls(spec, loop=is_file_spec(spec))


@dataclass(frozen=True)
class ModelSpec:
    """What picks the detector; a change of any of these means loading a new one.

    `input_size` fixes one rung (None: the whole ladder); `background` builds the other rungs
    on a thread (for auto); `measure` times every rung before the source starts (the slider's
    labels); `schedule` as `camapp run --schedule`.
    """

    model: str | None = None
    labels: str | None = None
    device: str = "cpu"
    fallback: bool = True
    threads: int | None = None
    max_detections: int | None = None
    input_size: int | None = None
    background: bool = False
    measure: bool = False
    schedule: str = "latency"


@dataclass(frozen=True)
class VideoSpec:
    """A video recording: one file, or segments of `segment_s` seconds / `segment_mb` MB with the
    oldest deleted while they total more than `keep_mb`."""

    path: str
    segment_s: float | None = None
    segment_mb: float | None = None
    keep_mb: float | None = None
    make_folder: bool = False  # create the file's folder first (the desktop app's output folder)
    overwrite: bool = False  # an existing file may be replaced (never an input, nor a locked file)

    slot: ClassVar[str] = "video"
    flag: ClassVar[str] = "--record"  # how messages name it

    def file(self) -> tuple[str, str] | None:
        """(flag, path) of the one file it writes, checked against the others'."""
        return self.flag, self.path

    def build(self, ctx: BuildContext) -> Recorder:
        from camapp.record import VideoRecorder

        if self.make_folder:
            make_folder(Path(self.path).parent)
        cut = self.segments(ctx.inputs)
        if cut is None:
            outputs.check_output(self.path, inputs=ctx.inputs, what=self.flag, overwrite=self.overwrite)
        overwrite = {} if cut else {"overwrite": self.overwrite}
        return VideoRecorder(
            self.path,
            segments=cut,
            on_error=ctx.on_error,
            on_link=ctx.on_recording,
            on_pruned=ctx.on_pruned,
            **ctx.queue,
            **overwrite,
        )

    def segments(self, inputs: tuple[Path, ...] = ()) -> Any:
        """The `Segments` policy, or None for one file; a bad combination is a `CamappError`.
        `inputs` are the run's input files: pruning never deletes them."""
        from camapp.record import Segments

        if not (self.segment_s or self.segment_mb):
            if self.keep_mb:
                raise CamappError("--record-keep-mb goes with --record-segment S or --record-segment-mb MB")
            return None
        return Segments(Path(self.path), self.segment_s, self.segment_mb, self.keep_mb, inputs)


@dataclass(frozen=True)
class EventSpec:
    """Event clips: one file in `folder` per sighting of `classes`, with pre- and post-roll."""

    folder: str
    classes: tuple[str, ...]
    pre_roll: float = 3.0
    post_roll: float = 5.0

    slot: ClassVar[str] = "events"

    def file(self) -> tuple[str, str] | None:
        return None  # new files in a folder, named so they never collide

    def build(self, ctx: BuildContext) -> Recorder:
        from camapp.record import EventRecorder

        check_zones(self.classes, ctx.tracking)  # zone:NAME needs that zone
        class_ids(ctx.names, class_entries(self.classes))  # unknown labels are a user error
        return EventRecorder(
            self.folder,
            self.classes,
            self.pre_roll,
            self.post_roll,
            on_error=ctx.on_error,
            on_clip=ctx.on_clip,
            **ctx.queue,
        )


@dataclass(frozen=True)
class LogSpec:
    """The detection log: one JSON line per processed frame."""

    path: str
    make_folder: bool = False  # create the file's folder first
    stamped: bool = False  # write PATH-YYYYmmdd-HHMMSS.jsonl: a log that follows the session to a
    # new source starts a new file instead of truncating the last one
    overwrite: bool = False  # an existing file may be replaced (never an input, nor a locked file)

    slot: ClassVar[str] = "log"
    flag: ClassVar[str] = "--log"

    def file(self) -> tuple[str, str] | None:
        return self.flag, self.path

    def build(self, ctx: BuildContext) -> Recorder:
        from camapp.record import DetectionLog

        if self.make_folder:
            make_folder(Path(self.path).parent)
        if self.stamped:
            path, overwrite = stamped(Path(self.path)), False
        else:
            path = outputs.check_output(
                self.path, inputs=ctx.inputs, what=self.flag, overwrite=self.overwrite
            )
            overwrite = self.overwrite
        return DetectionLog(path, on_error=ctx.on_error, overwrite=overwrite, **ctx.queue)


@dataclass(frozen=True)
class SnapshotSpec:
    """Annotated snapshots into `folder` every `every` seconds."""

    folder: str
    every: float = 10.0

    slot: ClassVar[str] = "snapshots"

    def file(self) -> tuple[str, str] | None:
        return None

    def build(self, ctx: BuildContext) -> Recorder:
        from camapp.record import SnapshotWriter

        return SnapshotWriter(self.folder, every=self.every, on_error=ctx.on_error)


@dataclass(frozen=True)
class HistorySpec:
    """The event history: every object's event in `folder`/events.db with a snapshot each,
    stored under the name `camera` (default: the source's). No folder: the user data folder's."""

    folder: str | None = None
    camera: str = ""
    keep_days: float | None = None  # events that ended longer ago are pruned
    keep_mb: float | None = None  # the folder's event clips and snapshots kept under this

    slot: ClassVar[str] = "history"

    def file(self) -> tuple[str, str] | None:
        return None  # a database: several runs may write into one

    def build(self, ctx: BuildContext) -> Recorder:
        from camapp.record.eventstore import default_folder
        from camapp.record.history import EventHistory

        folder = self.folder if self.folder is not None else default_folder()
        return EventHistory(
            folder,
            self.camera or ctx.camera,
            keep_days=self.keep_days,
            keep_mb=self.keep_mb,
            held=ctx.held,
            on_error=ctx.on_error,
        )


# What the front-ends that draw by hand (the desktop app, the browser view) call their one line
# and one zone, and how many past positions their "Trails" keeps: the same in both
DRAWN_LINE, DRAWN_ZONE = "line", "zone"
DRAWN_TRAIL = 30  # about a second of a 30 fps camera


@dataclass(frozen=True)
class TrackSpec:
    """Tracking: ids across frames, counting `lines`, `zones` (0-1 coordinates, `camapp.track`
    `Line`/`Zone`), a detection region `roi`, the detector on every `detect_every`-th frame only
    (the tracker predicts the others) and `trail` past positions drawn per object.

    `enabled=False` keeps the regions (a form's state) but runs no tracker; `roi` still applies.
    Build one from text with `TrackSpec.parse`; `check()` does the cross-field checks.
    """

    enabled: bool = True
    lines: tuple[Any, ...] = ()
    zones: tuple[Any, ...] = ()
    roi: Any = None
    detect_every: int = 1
    trail: int = 0

    @classmethod
    def parse(
        cls,
        lines: Iterable[str] = (),
        zones: Iterable[str] = (),
        roi: str | None = None,
        *,
        enabled: bool = True,
        detect_every: int = 1,
        trail: int = 0,
    ) -> TrackSpec:
        """From `NAME:x0,y0,x1,y1`, `NAME:x,y,x,y,...` and `x0,y0,x1,y1` texts; a bad region is a
        `FieldError` (a one-line `CamappError`)."""
        from camapp.track.regions import Line, Roi, Zone

        try:
            return cls(
                enabled,
                tuple(Line.parse(t) for t in lines),
                tuple(Zone.parse(t) for t in zones),
                Roi.parse(roi) if roi else None,
                int(detect_every),
                int(trail),
            )
        except FieldError:
            raise  # names its field: each front-end phrases it for its own control
        except ValueError as exc:
            raise CamappError(str(exc)) from None

    @property
    def active(self) -> bool:
        """Whether the pipeline needs the tracking stage or the region at all."""
        return self.enabled or self.roi is not None

    def check(self, record_on: Iterable[str] = ()) -> TrackSpec:
        """Options that do not go together; `record_on` entries `zone:NAME` must name a zone.
        Also reports a missing tracker library now, before any camera opens."""
        if not self.enabled:
            for what, given in (("--line", self.lines), ("--zone", self.zones), ("--trail", self.trail)):
                if given:
                    raise CamappError(f"{what} goes with --track")
            if self.detect_every > 1:
                raise CamappError("--detect-every goes with --track (the tracker fills the frames between)")
        if self.detect_every < 1 or self.trail < 0:
            raise CamappError("detect_every must be 1 or more and trail 0 or more")
        names = [r.name for r in self.lines + self.zones]
        dup = sorted({n for n in names if names.count(n) > 1})
        if dup:
            raise CamappError(f"lines and zones need different names; {', '.join(dup)} is used twice")
        check_zones(record_on, self)
        if self.enabled:
            from camapp.track import open_tracker

            open_tracker()  # a missing extra is a one-line error naming the install command
        return self

    def to_dict(self) -> dict[str, Any]:
        """JSON-able: what the status and a settings file hold."""
        roi = self.roi
        return {
            "enabled": self.enabled,
            "lines": [{"name": x.name, "points": [list(x.a), list(x.b)]} for x in self.lines],
            "zones": [{"name": z.name, "points": [list(p) for p in z.points]} for z in self.zones],
            "roi": None if roi is None else [roi.x0, roi.y0, roi.x1, roi.y1],
            "detect_every": self.detect_every,
            "trail": self.trail,
        }


def check_zones(record_on: Iterable[str], tracking: TrackSpec | None) -> None:
    """`zone:NAME` entries of `--record-on` must name a zone of the tracking spec."""
    known = {z.name for z in tracking.zones} if tracking is not None and tracking.enabled else set()
    for entry in record_on:
        if entry.startswith("zone:") and entry[5:] not in known:
            have = ", ".join(sorted(known)) or "none given (--track --zone NAME:x,y,...)"
            raise CamappError(f"--record-on {entry}: unknown zone {entry[5:]!r}; zones: {have}")


def class_entries(entries: Iterable[str]) -> list[str]:
    """The class names among `--record-on` entries (`zone:NAME` entries are zones)."""
    return [e for e in entries if not e.startswith("zone:")]


# What a recorder is asked for with; each builds its own recorder for one slot (`spec.slot`: one
# of each at a time) with `spec.build(BuildContext)`.
OutputSpec = VideoSpec | EventSpec | LogSpec | SnapshotSpec | HistorySpec


@dataclass(frozen=True)
class BuildContext:
    """What a spec needs from the run to build its recorder: the model's labels, whether nothing
    may be dropped (a file read as fast as possible), where a write error goes, the run's input
    files (no output replaces or prunes one), the tracking spec (zones), the camera's name, who
    hears which event clip (or continuous recording file) shows an object and which files a disk
    cap deleted, and which files the run's recorders are writing."""

    names: tuple[str, ...] = ()
    lossless: bool = False
    on_error: ErrorCallback | None = None
    inputs: tuple[Path, ...] = ()
    tracking: TrackSpec | None = None
    camera: str = ""  # the source's name, for the event history
    on_clip: Callable[[int, Path, float], None] | None = None  # which clip shows an object
    on_recording: Callable[[int, Path, float], None] | None = None  # which recording file does
    on_pruned: Callable[[list[Path]], None] | None = None  # files the recording's cap deleted
    held: Callable[[], list[Path]] | None = None  # files being written or finalized now

    @property
    def queue(self) -> dict[str, Any]:
        return {"queue_size": 0} if self.lossless else {}  # every frame: queue without bound


@dataclass(frozen=True)
class DetectorInfo:
    """What controls need from a freshly loaded detector (known before any source opens)."""

    names: tuple[str, ...]
    sizes: tuple[int, ...]
    input_size: int
    fixed_reason: str
    device: str  # what the user asked for ("edgetpu:usb:0")
    running_on: str  # what runs ("cpu" after a fallback)
    plan: str = ""  # ", 2 lanes of 1 thread" or ", 4 threads"
    warnings: tuple[str, ...] = field(default_factory=tuple)
    # the zoom of each size when the sizes pick the inference region of a fixed-input network
    # (the AI Camera, Hailo); empty when they are the network's input sizes
    zooms: tuple[float, ...] = field(default_factory=tuple)


def is_camera_spec(spec: str) -> bool:
    return spec.isdigit() or spec.startswith("/dev/video") or spec.startswith("picam")


def is_file_spec(spec: str) -> bool:
    return "://" not in spec and not is_camera_spec(spec) and Path(spec).expanduser().is_file()


class ModelMissing(ModelError):
    """The default model is not in the store yet (a front-end may offer to fetch it)."""


def model_missing_message(spec: ModelSpec) -> str | None:
    """The store's 'not installed' sentence when the default CPU model is absent, else None.

    Only for a device that runs the catalog's default model with nothing to fall back on (the
    CPU): an accelerator's detector decides itself whether it can run or falls back to the CPU
    model (with a warning), exactly as the command line does; the registry says which is which.
    """
    from camapp.session.devices import needs_default_model

    if spec.model is not None or not needs_default_model(spec.device):
        return None
    from camapp.store import load_catalog

    entry = load_catalog().default("cpu")
    return None if entry.installed else f"Model {entry.name!r} is not installed"


def class_ids(names: tuple[str, ...], wanted: list[str] | tuple[str, ...] | None) -> list[int] | None:
    """Label names -> class ids; an unknown label is a user error naming the nearest ones."""
    if not wanted:
        return None
    ids = []
    for label in wanted:
        matches = [i for i, n in enumerate(names) if n == label]
        if not matches:
            raise CamappError(
                f"unknown class {label!r}: the model's labels include "
                f"{', '.join(n for n in names[:8] if n != '???')}, ..."
            )
        ids.extend(matches)
    return ids


def check_distinct(specs: list[OutputSpec]) -> None:
    """Two outputs writing one file would corrupt both (compared by identity: camapp.outputs)."""
    outputs.check_distinct(dict(f for f in (s.file() for s in specs) if f is not None))


def run_inputs(source: str | None, model: ModelSpec | None) -> tuple[Path, ...]:
    """The files a run reads (source, model, labels): no output may replace or prune one."""
    from camapp.store import resolve_model

    found: list[Path | None] = [outputs.input_path(source)]
    if model is not None:
        with contextlib.suppress(CamappError):  # unresolved: the open fails on that first
            found.extend(Path(p) for p in resolve_model(model.model, model.labels) if p)
    return tuple(p for p in found if p is not None)


def build_output(spec: OutputSpec, ctx: BuildContext) -> Recorder:
    """The recorder `spec` describes, under the output rule (`camapp.outputs`): a file the user
    named never replaces an input, nor an existing file without `overwrite`. A recorder that
    cannot open its file raises `CamappError` here (its own log line is held back: the caller
    reports the error once)."""
    with _quiet_record_log():
        out = spec.build(ctx)
    if out.error:
        out.close()
        raise CamappError(out.error)
    return out


def make_folder(folder: Path) -> None:
    """Create an output's folder (the desktop app's output folder); a failure is one line."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise CamappError(f"Cannot write into {folder}: {exc}") from None


def stamped(base: Path) -> Path:
    """`base` with the local time before its suffix; a taken name becomes `name-2.ext`."""
    return outputs.fresh(base.with_name(f"{base.stem}-{time.strftime('%Y%m%d-%H%M%S')}{base.suffix}"))


@contextmanager
def _quiet_record_log() -> Iterator[None]:
    rec_log = logging.getLogger("camapp.record")
    rec_log.addFilter(_reject_all)
    try:
        yield
    finally:
        rec_log.removeFilter(_reject_all)


def _reject_all(_record: logging.LogRecord) -> bool:
    return False
