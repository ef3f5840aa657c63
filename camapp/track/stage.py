"""`TrackStage`: the tracker plus what is built on its ids: counts, lines, zones, trails, events.

It runs once per frame, in frame order, on the pipeline's delivery thread, between detection and
every consumer. A frame with fresh detections updates the tracker; a frame without (the detector
skipped it or was busy) gets the tracker's predicted boxes. An object's position is its box
centre in 0-1 coordinates of the frame.

An object is counted once it was detected on two frames, and only then gets its id (1, 2, 3...
per run, in that order): until then its box carries -1 everywhere it goes (log, video, app), so
every id anyone sees belongs to an object the summary counts. Its first position still counts,
so a line it crossed between its first two detections is counted.
"""

from __future__ import annotations

import threading
from collections import Counter, deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from camapp.track.base import Tracker, TrackInfo
from camapp.track.regions import Line, Point, Zone
from camapp.types import Detections, Frame

# a new object's way back through the faint boxes before its first detection at the threshold
FAINT_IOU = 0.5  # a faint box this close to the next one found was the same object
FAINT_S = 3.0  # back at most this long
FAINT_GAP = 2  # frames in a row without such a box before the way is lost
FAINT_FRAMES = 300  # fresh frames remembered (3 s at 100 fps)
_NO_BOX = (np.zeros(0, np.int32), np.zeros((0, 4), np.float32))  # a fresh frame without faint boxes


def _iou(box: np.ndarray, boxes: np.ndarray) -> np.ndarray:
    """IoU of one xyxy box with each of `boxes`."""
    wh = np.maximum(np.minimum(box[2:], boxes[:, 2:]) - np.maximum(box[:2], boxes[:, :2]), 0.0)
    inter = wh[:, 0] * wh[:, 1]
    union = np.prod(box[2:] - box[:2]) + np.prod(boxes[:, 2:] - boxes[:, :2], axis=1) - inter
    return inter / np.maximum(union, 1e-9)


def _label(names: Sequence[str], cid: int) -> str:
    return names[cid] if 0 <= cid < len(names) else str(cid)  # as `Detections.label`


@dataclass
class _Track:
    label: str
    last_t: float
    id: int = -1  # the object's id, from its second detection on
    born: tuple[float, int, np.ndarray] | None = None  # time, class id and box of its first detection
    hits: int = 0  # frames it was detected on (not predicted): counted as an object from 2 on
    sides: dict[str, tuple[int, Point]] = field(default_factory=dict)  # line -> (firm side, point)
    entered: dict[str, float] = field(default_factory=dict)  # zone -> time of entry
    trail: deque[tuple[float, float]] = field(default_factory=deque)


class TrackStage:
    """`trail`: how many past positions to keep per object for drawing (0: none). `forget_s`:
    an object unseen (neither detected nor predicted) this long has left: its zones get an exit
    event. `on_event` is called with each event dict as it happens."""

    def __init__(
        self,
        tracker: Tracker,
        lines: Sequence[Line] = (),
        zones: Sequence[Zone] = (),
        *,
        trail: int = 0,
        forget_s: float = 2.0,
        on_event: Callable[[dict[str, Any]], None] | None = None,
    ) -> None:
        self.tracker = tracker
        self.lines = tuple(lines)
        self.zones = tuple(zones)
        self.trail = trail
        self.forget_s = forget_s
        self.on_event = on_event
        self.counts: dict[str, Counter[str]] = {line.name: Counter() for line in self.lines}
        self._counts_out: dict[str, dict[str, int]] | None = (
            None  # what results carry; new when a count changes
        )
        self.seen: dict[str, set[int]] = {}  # label -> distinct track ids
        self.dwells: dict[str, list[float]] = {zone.name: [] for zone in self.zones}  # finished visits
        self._tracks: dict[int, _Track] = {}  # the tracker's id -> the object
        self._next_id = 1
        # the boxes below the threshold of recent fresh frames (time, class ids, xyxy): where an
        # object first detected at the threshold may have been before (with lines only)
        self._faint: deque[tuple[float, np.ndarray, np.ndarray]] = deque(maxlen=FAINT_FRAMES)
        self._t0: float | None = None
        self._lock = threading.Lock()  # process() on the delivery thread, snapshot() anywhere

    def set_regions(self, lines: Sequence[Line], zones: Sequence[Zone], trail: int | None = None) -> None:
        """Other lines and zones from the next frame on (any thread); ids, distinct counts and the
        counts of lines kept by name go on."""
        with self._lock:
            self.lines, self.zones = tuple(lines), tuple(zones)
            self.counts = {x.name: self.counts.get(x.name, Counter()) for x in self.lines}
            self._counts_out = None
            self.dwells = {z.name: self.dwells.get(z.name, []) for z in self.zones}
            names = {z.name for z in self.zones}
            for track in self._tracks.values():
                track.sides = {k: v for k, v in track.sides.items() if k in self.counts}
                track.entered = {k: v for k, v in track.entered.items() if k in names}
            if trail is not None:
                self.trail = trail

    def snapshot(self) -> dict[str, Any]:
        """The counts so far, JSON-able (any thread): `distinct` per label, `lines` (name ->
        "direction label" -> n), `zones` (name -> ids inside, visits, mean dwell)."""
        with self._lock:
            return {
                "distinct": self.distinct(),
                "lines": {name: dict(c) for name, c in self.counts.items()},
                "zones": {
                    z.name: {
                        "inside": sorted(
                            tr.id for tr in self._tracks.values() if tr.id > 0 and z.name in tr.entered
                        ),
                        "visits": len(self.dwells[z.name]),
                        "mean_dwell": round(sum(self.dwells[z.name]) / len(self.dwells[z.name]), 2)
                        if self.dwells[z.name]
                        else None,
                    }
                    for z in self.zones
                },
            }

    def frame_time(self, frame: Frame) -> float:
        """Seconds into the file when it has a position, else since the first frame (as the log)."""
        if frame.media_time is not None:
            return float(frame.media_time)
        if self._t0 is None:
            self._t0 = frame.timestamp
        return frame.timestamp - self._t0

    def process(self, frame: Frame, fresh: Detections | None) -> tuple[Detections, TrackInfo]:
        """Track one frame: `fresh` detections, or None to predict. Returns the boxes to hand on
        (with track ids) and what the frame added."""
        with self._lock:
            dets, info, events = self._process(frame, fresh)
        if self.on_event is not None:
            for e in events:
                self.on_event(e)
        return dets, info

    def _process(
        self, frame: Frame, fresh: Detections | None
    ) -> tuple[Detections, TrackInfo, list[dict[str, Any]]]:
        t = self.frame_time(frame)
        dets = self.tracker.predict() if fresh is None else self.tracker.update(fresh)
        h, w = frame.image.shape[:2]
        events: list[dict[str, Any]] = []
        present: list[_Track] = []
        here = set()
        # plain Python values once per frame: per-element numpy access costs more than the work
        keys = dets.track_ids.tolist() if dets.track_ids is not None else [None] * len(dets)
        ids = [-1] * len(keys)
        names = dets.names
        cids = dets.class_ids.tolist()
        firm = (dets.scores >= np.float32(self.tracker.threshold)).tolist()
        lines, zones = self.lines, self.zones
        for i, (key, (x0, y0, x1, y1)) in enumerate(zip(keys, dets.boxes.tolist())):
            if key is None or key < 0:
                continue
            p = ((x0 + x1) / 2 / w, (y0 + y1) / 2 / h)
            track = self._tracks.get(key)
            if track is None:
                track = self._tracks[key] = _Track(
                    _label(names, cids[i]), t, trail=deque(maxlen=max(1, self.trail))
                )
                if fresh is not None:
                    track.born = (t, cids[i], dets.boxes[i])
            present.append(track)
            here.add(key)
            if fresh is not None:
                track.hits += 1
                if track.hits == 2:
                    track.id, self._next_id = self._next_id, self._next_id + 1
                    self.seen.setdefault(_label(names, cids[i]), set()).add(track.id)
                    events += [self._enter(zone, track, since) for zone, since in track.entered.items()]
                    if lines and track.born is not None:
                        self._came_from(track, w, h)
            ids[i] = track.id
            track.last_t = t
            if self.trail:
                track.trail.append((p[0] * w, p[1] * h))
            if lines and firm[i]:
                self._lines(track, p, t, events)
            if zones:
                self._zones(track, p, t, events)
        if len(self._tracks) > len(here):
            for key, track in list(self._tracks.items()):
                if key not in here and t - track.last_t >= self.forget_s:
                    for zone in list(track.entered):
                        events += self._exit(zone, track, track.last_t)
                    del self._tracks[key]
        if fresh is not None and lines:
            faint = (fresh.scores < np.float32(self.tracker.threshold)).nonzero()[0]
            self._faint.append(
                (t, fresh.class_ids[faint], fresh.boxes[faint]) if len(faint) else (t, *_NO_BOX)
            )
        if keys != ids:
            dets = Detections.of_arrays(
                dets.boxes, dets.scores, dets.class_ids, names, np.array(ids, np.int64), dets.predicted
            )
        objects = [track for track in present if track.id > 0]
        info = TrackInfo(
            events=tuple(events),
            inside={
                # objects in this frame only: one not seen for a moment is not shown as inside
                z.name: tuple(sorted(tr.id for tr in objects if z.name in tr.entered))
                for z in zones
            },
            counts=self._counts(),
            trails={tr.id: tuple(tr.trail) for tr in objects} if self.trail else {},
            lines=lines,
            zones=zones,
            predicted=fresh is None,
        )
        return dets, info, events

    def _counts(self) -> dict[str, dict[str, int]]:
        """The counts so far as plain dicts, shared by results until a count changes (they are
        only read)."""
        if self._counts_out is None:
            self._counts_out = {name: dict(c) for name, c in self.counts.items()}
        return self._counts_out

    def _came_from(self, track: _Track, w: int, h: int) -> None:
        """A new object's side of each line before its first detection at the threshold, from
        where the detector saw it below the threshold: back from its first box, frame by frame,
        the faint box of its class that overlaps the last one found most (IoU FAINT_IOU or more;
        up to FAINT_GAP frames in a row without one), for at most FAINT_S seconds; the oldest
        firm side found is where it came from. An object walking into view is often detected
        faintly first; without this, one first detected at the threshold on the far side of a
        line, or on it, would never be counted crossing it."""
        assert track.born is not None
        t0, cid, box = track.born
        oldest: Point | None = None
        missed = 0
        for t, cids, boxes in reversed(self._faint):
            if t >= t0:
                continue
            if t0 - t > FAINT_S or missed > FAINT_GAP:
                break
            boxes = boxes[cids == cid]
            iou = _iou(box, boxes) if len(boxes) else None
            if iou is None or iou.max() < FAINT_IOU:
                missed += 1
                continue
            missed = 0
            box = boxes[int(np.argmax(iou))]
            x0, y0, x1, y1 = box.tolist()
            oldest = ((x0 + x1) / 2 / w, (y0 + y1) / 2 / h)
            for line in self.lines:
                side = line.side(oldest)
                if side != 0:
                    track.sides[line.name] = (side, oldest)

    def _lines(self, track: _Track, p: Point, t: float, events: list[dict[str, Any]]) -> None:
        """Crossings since the object's last firm side of each line, from boxes at the threshold
        (a box below it continues the object but says too little about where it is: a person
        leaving at the frame's edge is often only a faint box of legs); before the object's id
        (its first detection) only that side is noted."""
        for line in self.lines:
            side = line.side(p)
            if side == 0:
                continue  # only a firm side counts: jitter on the line is ignored
            before = track.sides.get(line.name)
            if before is not None and before[0] != side and track.id > 0:
                direction = line.crossing(before[0], before[1], p)
                if direction is not None:
                    self.counts[line.name][f"{direction} {track.label}"] += 1
                    self._counts_out = None
                    events.append(
                        {
                            "event": "cross",
                            "line": line.name,
                            "direction": direction,
                            "track_id": track.id,
                            "label": track.label,
                            "t": round(t, 3),
                        }
                    )
            track.sides[line.name] = (side, p)

    def _zones(self, track: _Track, p: Point, t: float, events: list[dict[str, Any]]) -> None:
        """Entries and exits; before the object's id, an entry is only noted, and told with its
        own time once the object is confirmed."""
        for zone in self.zones:
            inside = zone.contains(p)
            if inside and zone.name not in track.entered:
                track.entered[zone.name] = t
                if track.id > 0:
                    events.append(self._enter(zone.name, track, t))
            elif not inside and zone.name in track.entered:
                events += self._exit(zone.name, track, t)

    def _enter(self, zone: str, track: _Track, t: float) -> dict[str, Any]:
        return {"event": "enter", "zone": zone, "track_id": track.id, "label": track.label, "t": round(t, 3)}

    def _exit(self, zone: str, track: _Track, t: float) -> list[dict[str, Any]]:
        """The exit event (none for a box never confirmed as an object: it was never in)."""
        since = track.entered.pop(zone)
        if track.id < 0:
            return []
        self.dwells[zone].append(t - since)
        return [
            {
                "event": "exit",
                "zone": zone,
                "track_id": track.id,
                "label": track.label,
                "t": round(t, 3),
                "dwell": round(t - since, 3),
            }
        ]

    def close(self, t: float | None = None) -> list[dict[str, Any]]:
        """The end of the run: every object still in a zone leaves it now (exit events)."""
        events = []
        for track in self._tracks.values():
            for zone in list(track.entered):
                events += self._exit(zone, track, track.last_t if t is None else t)
        if self.on_event is not None:
            for e in events:
                self.on_event(e)
        return events

    def distinct(self) -> dict[str, int]:
        """label -> how many different objects were followed."""
        return {label: len(ids) for label, ids in sorted(self.seen.items(), key=lambda kv: -len(kv[1]))}

    def summary(self) -> list[str]:
        """`person: 6 distinct`, then one line per counting line and zone."""
        return summary_lines(self.snapshot())


def summary_lines(snapshot: dict[str, Any]) -> list[str]:
    """The end-of-run lines from a `TrackStage.snapshot()` (also what a session's status holds)."""
    distinct = snapshot.get("distinct") or {}
    out = [", ".join(f"{label}: {n} distinct" for label, n in distinct.items()) or "no objects followed"]
    for name, c in (snapshot.get("lines") or {}).items():
        out.append(f"line {name}: " + (", ".join(f"{n} {k}" for k, n in sorted(c.items())) or "no crossings"))
    for name, z in (snapshot.get("zones") or {}).items():
        text = f"zone {name}: {z['visits']} visits"
        if z["mean_dwell"] is not None:
            text += f", {z['mean_dwell']:.1f} s on average"
        if z["inside"]:
            text += f"; still inside at the end: {' '.join(f'#{t}' for t in z['inside'])}"
        out.append(text)
    return out
