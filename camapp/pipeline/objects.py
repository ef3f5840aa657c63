"""Objects: what appeared, changed and left, as `start` / `update` / `end` events.

This is the one place that decides when "an object appeared" and when "it left". Every consumer
hears the same events: event clips start and end on them, the detection log writes them, the
session sends them to its observers (the browser view, and any later sink such as an event history
or a message broker).

- With a tracker, an object is one track id. It starts once the detector has found it on two
  frames (as the tracker's distinct count: a box shown once is not an object) and ends once its
  id has not been seen, neither detected nor predicted, for `linger` seconds.
- Without a tracker, an object is a *sighting* of a label: it starts on the first frame the
  label is detected and ends once the label has not been seen for `linger` seconds. This is
  the post-roll rule event clips always used: a person who steps out of view for less than the
  post-roll stays one sighting, and one clip.

An object gone exactly `linger` seconds has ended. `update` marks what a consumer may act on:
a better score (a better snapshot), a zone entered or left, a line crossed. Times are seconds
on the source's clock (`t`: the file position, or seconds since the first frame for a camera;
a file that loops continues instead of jumping back), and `wall` is the frame's capture time in
seconds since the epoch.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from camapp.track.base import TrackInfo
from camapp.types import Detections, Frame

START, UPDATE, END = "start", "update", "end"
LINGER = 5.0  # seconds unseen before an object ends: the event clips' default post-roll
EPS = 1e-6  # frame times are sums of fractions: "gone exactly `linger`" must not miss by a rounding

Box = tuple[float, float, float, float]


@dataclass(frozen=True)
class ObjectEvent:
    """One object's start, update or end. `id` numbers objects 1, 2, 3... per watcher (a
    sighting or a track); `track_id` is the tracker's id, None without one. `score` and `box`
    are the latest detection's (xyxy, source pixels), `top_score` and `top_box` its best one.
    `zones` it is in now, `entered` every zone it entered, `crossed` the lines it crossed
    (`"door up"`), in order. `start`, `last_seen` and `t` (this event's frame) are source times."""

    type: str
    id: int
    label: str
    score: float
    box: Box
    top_score: float
    top_box: Box
    start: float
    last_seen: float
    t: float
    frame: int
    wall: float
    track_id: int | None = None
    zones: tuple[str, ...] = ()
    entered: tuple[str, ...] = ()
    crossed: tuple[str, ...] = ()

    @property
    def duration(self) -> float:
        """Seconds from the first to the latest sighting."""
        return self.last_seen - self.start

    def to_dict(self) -> dict[str, Any]:
        """JSON-able, rounded like the detection log's boxes and times."""
        return {
            "type": self.type,
            "id": self.id,
            "label": self.label,
            "track_id": self.track_id,
            "score": round(self.score, 4),
            "box": [round(v, 1) for v in self.box],
            "top_score": round(self.top_score, 4),
            "top_box": [round(v, 1) for v in self.top_box],
            "zones": list(self.zones),
            "entered": list(self.entered),
            "crossed": list(self.crossed),
            "start": round(self.start, 4),
            "last_seen": round(self.last_seen, 4),
            "t": round(self.t, 4),
            "frame": self.frame,
            "wall": round(self.wall, 3),
        }


@dataclass(frozen=True)
class ObjectInfo:
    """What one result adds: the object events of its frame, and the `linger` that ended them."""

    events: tuple[ObjectEvent, ...] = ()
    linger: float = LINGER


@dataclass
class _Object:
    id: int  # 0 until it starts
    label: str
    track_id: int | None
    start: float
    last_seen: float
    score: float = 0.0
    box: Box = (0.0, 0.0, 0.0, 0.0)
    top_score: float = -1.0
    top_box: Box = (0.0, 0.0, 0.0, 0.0)
    hits: int = 0  # frames it was detected on (not predicted)
    started: bool = False
    zones: list[str] = field(default_factory=list)
    entered: list[str] = field(default_factory=list)
    crossed: list[str] = field(default_factory=list)


class ObjectWatcher:
    """Turns each frame's boxes (and the tracking stage's events) into object events.

    Call `frame()` once per result, in frame order, on one thread (the pipeline's delivery
    thread); `close()` at the end ends every open object. `linger` may change at any time (the
    session sets it to the event clips' post-roll); it applies from the next frame on.
    """

    def __init__(self, linger: float = LINGER) -> None:
        if linger < 0:
            raise ValueError("linger must not be negative")
        self.linger = linger
        self._objects: dict[Any, _Object] = {}  # a label (sightings) or a track id -> object
        self._tracked: bool | None = None
        self._next_id = 1
        self._offset = 0.0
        self._step = 1 / 30  # the last interval between frames
        self._last: tuple[float, float] | None = None  # (raw time, source time) of the last frame
        self._frame = (0.0, 0, 0.0)  # (t, index, wall) of the last frame

    @property
    def open(self) -> list[int]:
        """Ids of the objects started and not ended."""
        return [o.id for o in self._objects.values() if o.started]

    def frame(self, frame: Frame, detections: Detections, track: TrackInfo | None = None) -> ObjectInfo:
        """This frame's events: starts, updates (a better score, zones, lines), then ends."""
        t = self._time(frame)
        wall = time.time() - (time.monotonic() - frame.timestamp)
        self._frame = (t, frame.index, wall)
        tracked = detections.track_ids is not None or track is not None  # the tracking stage ran
        events: list[ObjectEvent] = []
        if self._tracked is not None and tracked != self._tracked:
            events += self._end_all()  # tracking switched on or off: ids mean something else now
        self._tracked = tracked
        changed = self._tracks(detections, track, t) if tracked else self._sightings(detections, t)
        for o in changed:
            if not o.started and (o.hits >= 2 or (not tracked and o.hits >= 1)):
                o.started, o.id = True, self._next_id  # numbered when it starts: no gaps
                self._next_id += 1
                events.append(self._event(START, o))
            elif o.started:
                events.append(self._event(UPDATE, o))
        linger = self.linger
        for key, o in list(self._objects.items()):
            if t - o.last_seen >= linger - EPS:
                del self._objects[key]
                if o.started:
                    events.append(self._event(END, o))
        return ObjectInfo(tuple(events), linger)

    def close(self) -> list[ObjectEvent]:
        """The end of the run: every open object ends now (at its last sighting)."""
        return self._end_all()

    def _time(self, frame: Frame) -> float:
        raw = frame.media_time if frame.media_time is not None else frame.timestamp
        if self._last is None:
            self._offset = -raw if frame.media_time is None else 0.0
        elif raw < self._last[0]:  # a file looped or seeked back: its time goes on
            self._offset = self._last[1] + self._step - raw
        elif raw > self._last[0]:
            self._step = min(raw - self._last[0], 1.0)
        t = raw + self._offset
        self._last = (raw, t)
        return t

    def _sightings(self, dets: Detections, t: float) -> list[_Object]:
        """One object per label: its best box of the frame."""
        best: dict[str, int] = {}
        scores = dets.scores.tolist()
        for i, label in enumerate(dets.labels):
            if label not in best or scores[i] > scores[best[label]]:
                best[label] = i
        changed = []
        for label, i in best.items():
            o = self._objects.get(label)
            if o is None:
                o = self._objects[label] = self._new(label, None, t)
            if self._seen(o, scores[i], _box(dets, i), t) or not o.started:
                changed.append(o)
        return changed

    def _tracks(self, dets: Detections, track: TrackInfo | None, t: float) -> list[_Object]:
        changed: dict[int, _Object] = {}
        scores, labels = dets.scores.tolist(), dets.labels
        tids = dets.track_ids.tolist() if dets.track_ids is not None else []
        for i, tid in enumerate(tids):
            if tid < 0:
                continue
            o = self._objects.get(tid)
            if o is None:
                o = self._objects[tid] = self._new(labels[i], tid, t)
            if dets.is_predicted(i):
                o.last_seen = t
                o.box = _box(dets, i)
            elif self._seen(o, scores[i], _box(dets, i), t) or not o.started:
                changed[tid] = o
        for e in track.events if track is not None else ():
            tid = e.get("track_id")
            o = self._objects.get(tid)
            if o is None:
                continue
            kind = e.get("event")
            if kind == "enter":
                o.zones.append(e["zone"])
                o.entered.append(e["zone"])
            elif kind == "exit" and e["zone"] in o.zones:
                o.zones.remove(e["zone"])
            elif kind == "cross":
                o.crossed.append(f"{e['line']} {e['direction']}")
            else:
                continue
            changed[tid] = o
        return list(changed.values())

    @staticmethod
    def _new(label: str, track_id: int | None, t: float) -> _Object:
        return _Object(0, label, track_id, start=t, last_seen=t)

    @staticmethod
    def _seen(o: _Object, score: float, box: Box, t: float) -> bool:
        """A detection of `o`; True when its best score rose (a better snapshot)."""
        o.hits += 1
        o.last_seen, o.score, o.box = t, score, box
        if score > o.top_score:
            o.top_score, o.top_box = score, box
            return True
        return False

    def _end_all(self) -> list[ObjectEvent]:
        ended = [self._event(END, o) for o in self._objects.values() if o.started]
        self._objects.clear()
        return ended

    def _event(self, kind: str, o: _Object) -> ObjectEvent:
        t, index, wall = self._frame
        return ObjectEvent(
            kind,
            o.id,
            o.label,
            o.score,
            o.box,
            o.top_score,
            o.top_box,
            o.start,
            o.last_seen,
            t,
            index,
            wall,
            o.track_id,
            tuple(o.zones),
            tuple(o.entered),
            tuple(o.crossed),
        )


def _box(dets: Detections, i: int) -> Box:
    x0, y0, x1, y1 = dets.boxes[i].tolist()
    return (x0, y0, x1, y1)
