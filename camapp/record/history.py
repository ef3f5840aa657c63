"""`EventHistory`: every object event into the folder's event store, with a snapshot each.

A pipeline consumer in the "history" slot. It takes only the results that carry object events
(`camapp.pipeline.objects`), so its queue holds a few frames at most and none is ever dropped:
an event whose end was dropped would stay open forever. On its own thread it adds a row when an
object starts, keeps the frame with the object's best score, and when the object ends writes that
frame twice as JPEG (whole, with the box drawn; and cropped to the object) and closes the row. Each
result's changes are one transaction, committed at once: a run killed with -9 keeps every event
that ended before.

Clips: `link(object_id, clip, offset)` (any thread) tells it which event clip shows an object and
from how many seconds into the clip (the session passes on what the event clip recorder says);
`link_recording(object_id, file, offset)` the same for the continuous recording, which the front-ends
play when an event has no clip. `forget(files)` (any thread): a disk cap deleted these files; the
events they showed stay, marked. With `keep_mb`, the folder's event clips and snapshots are kept
under that size (`camapp.record.retention`), never touching a file the run's recorders hold.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

import cv2
import numpy as np

from camapp.errors import CamappError
from camapp.outputs import write_new
from camapp.pipeline.objects import END, START, ObjectEvent
from camapp.record.base import ErrorCallback, Report, Worker
from camapp.record.eventstore import DB_NAME, EventStore
from camapp.record.retention import DISK_CAP, enforce_cap

if TYPE_CHECKING:
    from camapp.pipeline import Result

log = logging.getLogger("camapp.record")

SNAPSHOTS = "snapshots"  # the snapshots' folder, beside the database
CROP_MARGIN = 0.15  # of the box's size, around the crop
PRUNE_EVERY = 3600.0  # seconds between two prunings by age while running
CAP_EVERY = 30.0  # seconds between two passes of the disk cap while running (when events end)


@dataclass(frozen=True)
class _Gone:
    """Files a disk cap deleted: a queue item of their own, so the store is written on one thread."""

    paths: tuple[Path, ...]


@dataclass
class _Open:
    row: int
    image: np.ndarray  # the frame of its best score so far
    score: float
    box: tuple[float, float, float, float]
    label: str
    last_seen: float  # seconds since the epoch


class EventHistory(Worker):
    """Store the objects of a run in `folder`/events.db (`EventStore`), named `camera`.

    `keep_days`: events that ended longer ago are pruned with their snapshots when the history
    opens and every hour while it runs (an open event never is). `keep_mb`: the folder's event
    clips and snapshots are kept under that many MB when it opens, while it runs (at most every
    30 s, as events end) and when it closes; the callable `held` lists the files the run is
    writing or finalizing, never deleted. `saved` counts the events ended and stored. Errors (a
    database that is corrupt, read-only or locked by another writer; a full disk): one line,
    `error`, `on_error`, as every recorder; the pipeline goes on.
    """

    slot: ClassVar[str] = "history"

    def __init__(
        self,
        folder: str | Path,
        camera: str,
        *,
        keep_days: float | None = None,
        keep_mb: float | None = None,
        held: Callable[[], Iterable[Path]] | None = None,
        jpeg_quality: int = 90,
        on_error: ErrorCallback | None = None,
    ) -> None:
        if keep_days is not None and keep_days <= 0:
            raise CamappError("the history's age limit must be a positive number of days")
        if keep_mb is not None and keep_mb <= 0:
            raise CamappError("the history's size limit must be a positive number of MB")
        self.directory = Path(folder)
        super().__init__(f"event history in {self.directory}", 0, on_error, name="camapp-history")
        self.camera = camera
        self.saved = 0
        self.pruned = 0  # events deleted for their age
        self.keep_days = keep_days
        self.keep_mb = keep_mb
        self._held = held or (lambda: ())  # not `held`: that names a recorder's own files
        self.capped_clips = 0  # clips the cap deleted (their events stay)
        self._pruned_at = 0.0  # time.monotonic() of the last pruning
        self._capped_at = 0.0  # time.monotonic() of the cap's last pass
        self.params = [cv2.IMWRITE_JPEG_QUALITY, jpeg_quality]
        self._open: dict[int, _Open] = {}  # object id -> its row and best frame
        self._rows: dict[int, int] = {}  # object id -> row, for every object of this run
        # object id -> capture time of the last frame it was seen on: written by submit() before
        # the result with its end is queued, so the worker reads the final value
        self._seen_at: dict[int, float] = {}
        self._links: dict[int, tuple[str, float]] = {}  # object id -> (clip, offset), not yet stored
        self._recordings: dict[int, tuple[str, float]] = {}  # the same for the continuous recording
        self._links_lock = threading.Lock()
        self.store: EventStore | None = None
        try:
            self.store = EventStore(self.directory / DB_NAME)
            (self.directory / SNAPSHOTS).mkdir(exist_ok=True)
            self._prune()
            self._cap()
        except (CamappError, OSError, sqlite3.Error) as exc:
            self.fail(exc)
            return
        self._start()

    @property
    def path(self) -> Path:
        return self.directory / DB_NAME

    def report(self) -> Report:
        return Report(str(self.path), self.saved)

    def submit(self, result: Result) -> None:
        """Only results with object events go on (never dropped: the queue is unbounded); of the
        others only when each object was last seen is kept (cheap, on the pipeline's thread)."""
        objects = result.objects
        if objects is None:
            return
        if objects.seen:
            wall = time.time() - (time.monotonic() - result.frame.timestamp)
            for object_id in objects.seen:
                self._seen_at[object_id] = wall
        if objects.events:
            self._offer(result)

    def link(self, object_id: int, clip: str | Path, offset: float) -> None:
        """The event clip `clip` shows object `object_id` from `offset` seconds in (any thread)."""
        with self._links_lock:
            self._links[object_id] = (str(clip), offset)

    def link_recording(self, object_id: int, path: str | Path, offset: float) -> None:
        """The continuous recording's file `path` shows object `object_id` from `offset` s in."""
        with self._links_lock:
            self._recordings[object_id] = (str(path), offset)

    def forget(self, paths: Iterable[Path]) -> None:
        """A disk cap deleted `paths` (any thread): their events are marked when the queue gets there."""
        self._offer(_Gone(tuple(Path(p) for p in paths)))

    def _handle(self, result: Result | _Gone) -> None:
        store = self.store
        assert store is not None
        if isinstance(result, _Gone):
            # links not yet stored first: an object's start may have been handled before its link
            # came, and a link stored after this mark would point at a deleted file, unmarked
            self._store_links()
            for path in result.paths:
                store.mark_gone(path, DISK_CAP)
            return
        assert result.objects is not None
        image = result.frame.image
        for e in result.objects.events:
            if e.type == START:
                row = store.add(
                    self.camera,
                    e.label,
                    e.track_id,
                    _wall(e, e.start),
                    e.top_score,
                    e.top_box,
                    e.entered,
                    e.crossed,
                )
                self._open[e.id] = _Open(row, image, e.score, e.box, e.label, _wall(e, e.last_seen))
                self._rows[e.id] = row
                continue
            o = self._open.get(e.id)
            if o is None:  # it started before this history did
                continue
            o.last_seen = _wall(e, e.last_seen)
            if e.score > o.score:  # an update comes on the frame where the score rose
                o.image, o.score, o.box = image, e.score, e.box
            fields: dict[str, object] = {"top_score": e.top_score, "box": e.top_box, "zones": e.entered}
            fields["lines"] = e.crossed
            if e.type == END:
                fields.update(self._end(e.id))
            store.update(o.row, **fields)
        self._store_links()
        store.commit()
        if self.keep_days is not None and time.monotonic() - self._pruned_at >= PRUNE_EVERY:
            self._prune()
        ended = any(e.type == END for e in result.objects.events)
        if ended and self.keep_mb is not None and time.monotonic() - self._capped_at >= CAP_EVERY:
            self._cap()

    def _end(self, object_id: int) -> dict[str, object]:
        """The end of an object: its row's end and snapshots."""
        o = self._open.pop(object_id)
        snapshot, crop = self._snapshots(o)
        self.saved += 1
        ended = self._seen_at.pop(object_id, o.last_seen)
        return {"ended": round(ended, 3), "snapshot": snapshot, "crop": crop}

    def _prune(self) -> None:
        """Events that ended more than `keep_days` ago go, with their snapshots."""
        if self.keep_days is None or self.store is None:
            return
        self._pruned_at = time.monotonic()
        gone = self.store.prune(time.time() - self.keep_days * 86400)
        self.pruned += len(gone)
        if gone:
            log.info(
                "camapp: event history: %d event(s) older than %g days pruned", len(gone), self.keep_days
            )

    def _cap(self) -> None:
        """The folder's clips and snapshots under `keep_mb` (never a file the run is writing)."""
        if self.keep_mb is None or self.store is None:
            return
        self._capped_at = time.monotonic()
        done = enforce_cap(self.store, self.keep_mb, self._held())
        self.capped_clips += len(done.clips)
        self.pruned += len(done.events)

    def _store_links(self) -> None:
        """Clip links whose object has a row (one whose start is still queued keeps its link)."""
        assert self.store is not None
        with self._links_lock:
            ready = {i: v for i, v in self._links.items() if i in self._rows}
            for i in ready:
                del self._links[i]
            recorded = {i: v for i, v in self._recordings.items() if i in self._rows}
            for i in recorded:
                del self._recordings[i]
        for object_id, (clip, offset) in ready.items():
            self.store.update(self._rows[object_id], clip=Path(clip), clip_offset=round(max(0.0, offset), 3))
        for object_id, (path, offset) in recorded.items():
            self.store.update(
                self._rows[object_id], recording=Path(path), recording_offset=round(max(0.0, offset), 3)
            )

    def _snapshots(self, o: _Open) -> tuple[Path, Path]:
        """The best frame with the object's box, and the object alone (with a margin)."""
        folder = self.directory / SNAPSHOTS
        stem = f"{o.row:06d}-{o.label.replace('/', '-').replace(' ', '-')}"
        full = o.image.copy()
        x0, y0, x1, y1 = (int(round(v)) for v in o.box)
        cv2.rectangle(full, (x0, y0), (x1, y1), (0, 200, 255), 2)
        h, w = o.image.shape[:2]
        mx, my = int((x1 - x0) * CROP_MARGIN), int((y1 - y0) * CROP_MARGIN)
        crop = o.image[max(0, y0 - my) : min(h, y1 + my + 1), max(0, x0 - mx) : min(w, x1 + mx + 1)]
        return self._jpeg(folder / f"{stem}.jpg", full), self._jpeg(folder / f"{stem}-crop.jpg", crop)

    def _jpeg(self, path: Path, image: np.ndarray) -> Path:
        ok, data = cv2.imencode(".jpg", image, self.params)
        if not ok:
            raise CamappError(f"cannot encode {path.name}")
        return write_new(path, data.tobytes())

    def _finish(self) -> None:
        """The run ends: the objects still in view end at their last sighting."""
        store = self.store
        if store is None:
            return
        try:
            if self.error is None:
                for object_id in list(self._open):
                    row = self._open[object_id].row
                    store.update(row, **self._end(object_id))
                self._store_links()
                store.commit()
                self._cap()  # the run's last clips count too (one still finalized is skipped)
        finally:
            self.store = None
            store.close()


def _wall(e: ObjectEvent, t: float) -> float:
    """Seconds since the epoch at source time `t` of this object."""
    return round(e.wall - (e.t - t), 3)
