"""What a front-end asks the session for: plain, frozen values (easy to build from a form, a
command line or JSON), and building the recorders they describe.

The session owns every detector, source and recorder; a front-end only ever hands it these.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from camapp.errors import CamappError, ModelError

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

    def segments(self) -> Any:
        """The `Segments` policy, or None for one file; a bad combination is a `CamappError`."""
        from camapp.record import Segments

        if not (self.segment_s or self.segment_mb):
            if self.keep_mb:
                raise CamappError("--record-keep-mb goes with --record-segment S or --record-segment-mb MB")
            return None
        return Segments(Path(self.path), self.segment_s, self.segment_mb, self.keep_mb)


@dataclass(frozen=True)
class EventSpec:
    """Event clips: one file in `folder` per sighting of `classes`, with pre- and post-roll."""

    folder: str
    classes: tuple[str, ...]
    pre_roll: float = 3.0
    post_roll: float = 5.0


@dataclass(frozen=True)
class LogSpec:
    """The detection log: one JSON line per processed frame."""

    path: str
    make_folder: bool = False  # create the file's folder first
    stamped: bool = False  # write PATH-YYYYmmdd-HHMMSS.jsonl: a log that follows the session to a
    # new source starts a new file instead of truncating the last one


@dataclass(frozen=True)
class SnapshotSpec:
    """Annotated snapshots into `folder` every `every` seconds."""

    folder: str
    every: float = 10.0


OutputSpec = VideoSpec | EventSpec | LogSpec | SnapshotSpec

# The output slot each kind of spec fills: one of each at a time.
SLOTS: dict[type, str] = {VideoSpec: "video", EventSpec: "events", LogSpec: "log", SnapshotSpec: "snapshots"}


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


def is_camera_spec(spec: str) -> bool:
    return spec.isdigit() or spec.startswith("/dev/video") or spec.startswith("picam")


def is_file_spec(spec: str) -> bool:
    return "://" not in spec and not is_camera_spec(spec) and Path(spec).expanduser().is_file()


class ModelMissing(ModelError):
    """The default model is not in the store yet (a front-end may offer to fetch it)."""


def model_missing_message(spec: ModelSpec) -> str | None:
    """The store's 'not installed' sentence when the default CPU model is absent, else None.

    Only for the CPU: an accelerator's detector decides itself whether it can run or falls back
    to the CPU model (with a warning), exactly as the command line does.
    """
    if spec.model is not None or spec.device.split(":", 1)[0] != "cpu":
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
    """Two outputs writing one file would corrupt both."""
    files = [s.path for s in specs if isinstance(s, (VideoSpec, LogSpec))]
    if len({os.path.realpath(p) for p in files}) < len(files):
        raise CamappError("--record and --log must name different files")


def build_output(
    spec: OutputSpec, names: tuple[str, ...], lossless: bool, on_error: ErrorCallback | None = None
) -> Any:
    """The recorder `spec` describes. A recorder that cannot open its file raises `CamappError`
    here (its own log line is held back: the caller reports the error once)."""
    from camapp.record import DetectionLog, EventRecorder, SnapshotWriter, VideoRecorder

    queue: dict[str, Any] = {"queue_size": 0} if lossless else {}  # every frame: queue without bound
    with _quiet_record_log():
        if isinstance(spec, (VideoSpec, LogSpec)) and spec.make_folder:
            folder = Path(spec.path).parent
            try:
                folder.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise CamappError(f"Cannot write into {folder}: {exc}") from None
        if isinstance(spec, VideoSpec):
            out = VideoRecorder(spec.path, segments=spec.segments(), on_error=on_error, **queue)
        elif isinstance(spec, EventSpec):
            class_ids(names, list(spec.classes))  # unknown labels are a user error
            out = EventRecorder(
                spec.folder, spec.classes, spec.pre_roll, spec.post_roll, on_error=on_error, **queue
            )
        elif isinstance(spec, LogSpec):
            path = stamped(Path(spec.path)) if spec.stamped else spec.path
            out = DetectionLog(path, on_error=on_error, **queue)
        else:
            out = SnapshotWriter(spec.folder, every=spec.every, on_error=on_error)
    if out.error:
        out.close()
        raise CamappError(out.error)
    return out


def stamped(base: Path) -> Path:
    """`base` with the local time before its suffix, and `_2`, `_3` if that name is taken."""
    path = base.with_name(f"{base.stem}-{time.strftime('%Y%m%d-%H%M%S')}{base.suffix}")
    n = 1
    while path.exists():
        n += 1
        path = base.with_name(f"{base.stem}-{time.strftime('%Y%m%d-%H%M%S')}_{n}{base.suffix}")
    return path


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
