"""`EventRecorder`: one clip per sighting of chosen classes, with pre-roll and post-roll.

It encodes every frame all the time and keeps the encoded packets since the last keyframe before
`now - pre_roll` in a ring buffer (a few seconds of H.264 is a few hundred kB, raw frames would be
hundreds of MB). When a watched class appears, a file is opened and the buffer goes in first, so
the clip starts on a keyframe at least `pre_roll` seconds before the trigger.
"""

from __future__ import annotations

import collections
import datetime as dt
import logging
import re
import tempfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from camapp.errors import CamappError
from camapp.pipeline.memory import WAITING_BYTES
from camapp.pipeline.objects import END, EPS, ObjectEvent, ObjectWatcher
from camapp.record.base import ErrorCallback, Report, Worker, describe
from camapp.record.encode import KEYINT, ClipWriter, Clock, Encoder, Packet, container_for
from camapp.record.finalizer import Finalizer, scan_folder, warn_unfinalized
from camapp.render import annotate

if TYPE_CHECKING:
    from camapp.pipeline import Result

log = logging.getLogger("camapp.record")

# (object id, clip, seconds into the clip where the object starts), on the recorder's thread
ClipCallback = Callable[[int, Path, float], None]


@dataclass
class Event:
    """One event clip. Times are on the recorder's clock (seconds since its first frame)."""

    path: Path
    classes: tuple[str, ...]  # the watched classes seen at the trigger
    trigger_t: float
    start_t: float  # first frame in the file: a keyframe at or before trigger_t - pre_roll
    last_seen_t: float
    end_t: float = 0.0
    frames: int = 0
    seen: set[str] = field(default_factory=set)  # every watched class seen during the event

    @property
    def pre_roll(self) -> float:
        return self.trigger_t - self.start_t


def event_name(when: dt.datetime, classes: Iterable[str], ext: str) -> str:
    """`20261126-201502_person+dog.mp4`: sorts by time, says what triggered it, safe on any OS."""
    tag = "+".join(re.sub(r"[^A-Za-z0-9_-]+", "-", c).strip("-") or "class" for c in classes)
    return f"{when:%Y%m%d-%H%M%S}_{tag}{ext}"


class EventRecorder(Worker):
    """Record a clip into `directory` while any of `classes` is seen (`--record-on person,dog`).

    An entry `zone:NAME` means "while anything is inside zone NAME" (needs the tracking stage).

    It follows the objects of `camapp.pipeline.objects`: a clip starts when a watched object
    starts (a watched label, or an object entering a watched zone), with `pre_roll` seconds
    before it, and ends `post_roll` seconds after the last watched object's last sighting (frame
    time, so file sources behave like cameras). The results' own object events are used when
    they end objects after `post_roll` (the session sets that); otherwise, as for results built
    by hand, the recorder runs the same watcher itself.
    One file per event, named by wall-clock time and trigger classes; `ext` picks the container
    (".mp4" fragmented MP4 or ".mkv"). `events` lists the finished `Event`s, `active` the one being
    written. `submit()` never blocks (Consumer protocol); `close()` ends an open event and returns
    once the queue (at most `queue_size` frames) is encoded and every clip finalized. Errors: as
    `VideoRecorder`.

    A finished .mp4 clip is finalized into a regular, seekable MP4 (`camapp.record.finalize`) on a
    finalizer thread, so encoding, the pre-roll buffer and the next event go on meanwhile.
    `on_clip(object_id, clip, offset)` hears which clip shows each watched object (the results'
    own objects), and from how many seconds into the clip.
    """

    slot: ClassVar[str] = "events"

    def __init__(
        self,
        directory: str | Path,
        classes: Iterable[str],
        pre_roll: float = 3.0,
        post_roll: float = 5.0,
        *,
        ext: str = ".mp4",
        codec: str | None = None,
        keyint: float = KEYINT,
        queue_size: int | None = None,
        on_error: ErrorCallback | None = None,
        on_clip: ClipCallback | None = None,
    ) -> None:
        self.directory = Path(directory)
        self.classes = frozenset(c.strip() for c in classes if c.strip())
        if not self.classes:
            raise CamappError("--record-on needs at least one class name, e.g. person,dog")
        if pre_roll < 0 or post_roll < 0:
            raise CamappError("pre-roll and post-roll must not be negative")
        container_for(Path("x" + ext))
        super().__init__(
            f"event recording in {self.directory}",
            16 if queue_size is None else queue_size,
            on_error,
            name="camapp-events",
        )
        if queue_size is None:  # the default: 16 frames, fewer when large (2 at 4K)
            self.frame_budget = WAITING_BYTES
        self.pre_roll = pre_roll
        self.post_roll = post_roll
        self.ext = ext
        self.events: list[Event] = []
        self.active: Event | None = None
        self._clock = Clock()
        self._encoder = Encoder(codec, keyint=keyint)
        self.codec = self._encoder.codec
        self._ring: collections.deque[tuple[float, Packet]] = collections.deque()
        self._writer: ClipWriter | None = None
        self._finalizer = Finalizer()
        self._scanned = False
        self._own: ObjectWatcher | None = None  # objects of its own when results carry none that fit
        self._shared = False
        self._watched: dict[int, set[str]] = {}  # object id -> the watched classes it stands for
        self._starts: dict[int, float] = {}  # watched object id -> its start on the recorder's clock
        self.on_clip = on_clip
        self._last_watched = 0.0  # recorder time an object stopped being watched
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            # a unique probe: a fixed name would clobber a user's file of that name, and two runs
            # starting together would delete each other's probe
            with tempfile.NamedTemporaryFile(dir=self.directory, prefix=".camapp-write-test-"):
                pass
        except OSError as exc:
            self.fail(f"cannot write to {self.directory}: {describe(exc)}")
            return
        self._start()

    @property
    def finalized(self) -> list[Path]:
        return [f.path for f in self._finalizer.done]

    @property
    def unfinalized(self) -> list[Path]:
        """Clips left fragmented (they play, but browsers cannot seek them)."""
        return [p for p, _ in self._finalizer.failed]

    def held(self) -> list[Path]:
        """The clip being written and those being finalized: no cap may delete them (any thread)."""
        writer = self._writer  # also while a closing recorder drains its queue into it
        return ([writer.path] if writer is not None else []) + self._finalizer.held()

    def report(self) -> Report:
        """The folder, frames in every clip, the finished clips and what the open one is for."""
        done, active = list(self.events), self.active
        frames = sum(e.frames for e in done) + (active.frames if active is not None else 0)
        writing = active.classes if active is not None else None
        return Report(str(self.directory), frames, clips=tuple(str(e.path) for e in done), writing=writing)

    def _handle(self, result: Result) -> None:
        if not self._scanned:  # here, not in __init__: the CLI mutes this logger while building
            self._scanned = True
            if self.ext.lower() == ".mp4":
                warn_unfinalized(scan_folder(self.directory), "left by a run that stopped early")
        t = self._clock(result.frame)
        image = annotate(result.frame.image, result.detections, result.stats, result.track)
        packets = self._encoder.encode(image, t)
        for p in packets:
            self._ring.append((self._encoder.seconds(p.pts), p))
        self._trim(t)
        seen = self._follow(self._objects(result), t)
        if seen and self.active is None:
            self._begin(t, seen)  # writes the ring, which already holds this frame
        elif self.active is not None and self._writer is not None:
            self._writer.write(packets)
        event = self.active
        if event is None:
            return
        if self._watched:
            event.last_seen_t = t
        else:
            event.last_seen_t = self._last_watched
        event.seen |= seen
        event.frames = self._writer.frames if self._writer else event.frames
        event.end_t = t
        if not self._watched and t - self._last_watched >= self.post_roll - EPS:
            self._end()

    def _objects(self, result: Result) -> tuple[ObjectEvent, ...]:
        """The result's object events when they end objects after this recorder's post-roll
        (the session makes sure of that), else those of a watcher of its own; decided once."""
        if self._own is None and not self._shared:
            info = result.objects
            self._shared = info is not None and abs(info.linger - self.post_roll) < EPS
            if not self._shared:
                self._own = ObjectWatcher(self.post_roll)
        if self._own is not None:
            return self._own.frame(result.frame, result.detections, result.track).events
        return result.objects.events if result.objects is not None else ()

    def _follow(self, events: tuple[ObjectEvent, ...], t: float) -> set[str]:
        """Which objects are watched now (a watched label, or inside a watched zone); returns the
        watched classes that started or went on in this frame."""
        seen: set[str] = set()
        for e in events:
            classes = self.classes.intersection([e.label, *(f"zone:{z}" for z in e.zones)])
            if classes and e.type != END:
                if e.id not in self._watched:
                    self._starts[e.id] = t - (e.t - e.start)
                    self._link(e.id)
                self._watched[e.id] = classes
                seen |= classes
            elif self._watched.pop(e.id, None) is not None:
                self._starts.pop(e.id, None)
                # watched until its last sighting: the post-roll counts from there
                self._last_watched = max(self._last_watched, t - (e.t - e.last_seen))
        for classes in self._watched.values():
            seen |= classes
        return seen

    def _trim(self, now: float) -> None:
        """Drop packets older than the last keyframe at or before `now - pre_roll`."""
        ring, cutoff = self._ring, now - self.pre_roll
        keys = [i for i, (pt, p) in enumerate(ring) if p.key and pt <= cutoff + 1e-6]
        for _ in range(keys[-1] if keys else 0):
            ring.popleft()

    def _begin(self, t: float, seen: set[str]) -> None:
        classes = tuple(sorted(seen))
        name = event_name(dt.datetime.now(), classes, self.ext)
        # a taken name (two events in one second, another run's clip) becomes name-2.ext
        self._writer = ClipWriter(self.directory / name, self._encoder, auto_name=True)
        path = self._writer.path
        start = self._ring[0][0] if self._ring else t
        self.active = Event(path, classes, trigger_t=t, start_t=start, last_seen_t=t, end_t=t, seen=set(seen))
        log.info("camapp: event %s started (%s)", path.name, ", ".join(classes))
        self._writer.write(p for _, p in self._ring)
        for object_id in self._watched:
            self._link(object_id)

    def _link(self, object_id: int) -> None:
        """Say which clip shows a watched object, and from how far in (ids of the results' own
        objects only: a watcher of this recorder's own numbers them differently)."""
        event = self.active
        if self.on_clip is None or event is None or not self._shared:
            return
        try:
            self.on_clip(object_id, event.path, max(0.0, self._starts[object_id] - event.start_t))
        except Exception:  # a broken listener must not stop the recording
            log.exception("camapp: clip listener failed")

    def _end(self) -> None:
        event, writer = self.active, self._writer
        try:
            if writer is not None:
                writer.close()  # its write lock goes: `held()` still names it until the finalizer does
                if writer.path.suffix.lower() == ".mp4" and writer.frames and self.error is None:
                    self._finalizer.submit(writer.path, writer.frames)
        finally:
            self.active, self._writer = None, None
        if event is not None:
            event.frames = writer.frames if writer else event.frames
            self.events.append(event)
            log.info(
                "camapp: event %s: %d frames, %.1f s",
                event.path.name,
                event.frames,
                event.end_t - event.start_t,
            )

    def _finish(self) -> None:
        try:
            if self.active is not None:
                if self._writer is not None and self.error is None:
                    self._writer.write(self._encoder.flush())
                self._end()
        finally:
            self._finalizer.close()
