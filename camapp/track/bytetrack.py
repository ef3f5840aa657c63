"""ByteTrack (Zhang et al., 2022): a constant-velocity Kalman filter and two-stage IoU assignment.

camapp's own, with every track in parallel numpy arrays instead of an object per track, so a
frame costs a fixed number of array operations whatever the number of objects. It follows the
published algorithm step by step as supervision 0.23 implements it (the reference its tests
compare id sequences with, docs/tracking.md), with the detection index of every match carried
through the steps, so which box became which track is known, not looked up.

Per fresh frame:
1. boxes at or above the threshold ("high") are assigned to the confirmed and the lost tracks,
   whose Kalman states are first moved one frame on (cost 1 - IoU x score, at most `match`);
2. boxes below it ("low", down to `low`) are assigned to the confirmed tracks left over (cost
   1 - IoU, at most 0.5): the second association that lets an object whose score dips keep its
   id; a confirmed track left over then is lost;
3. the high boxes left over are assigned to the tracks born on the previous fresh frame (cost
   1 - IoU x score, at most 0.7): a track is confirmed on its second detection, and one without
   it is dropped;
4. each high box still left starts a new track;
5. a lost track is dropped once it has missed more than `keep_s` seconds of frames; a lost track
   on the same spot as a followed one (IoU > 0.85) is a duplicate, and the younger goes.

One step is camapp's own: in 4, a box that overlaps a box placed on this frame at IoU `overlap`
(0.5) or more starts no track (see the class).

One tracker follows every class: a cost between a box and a track of another class is never
accepted, so a person never becomes a chair.
"""

from __future__ import annotations

import numpy as np
from scipy.optimize import linear_sum_assignment

from camapp.types import Detections

LOW_FLOOR = 0.1  # ByteTrack's own lower bound for the second association
LOW_MATCH = 0.5  # the second association's cost threshold (1 - IoU)
NEW_MATCH = 0.7  # a new track's second detection (1 - IoU x score)
DUPLICATE = 0.15  # a lost track this close (1 - IoU) to a followed one is the same object
# the Kalman filter's noise, relative to the box height (the published values)
STD_POS, STD_VEL = 1.0 / 20, 1.0 / 160
# a track's state: detected once (confirmed by a second detection), followed, or lost
PENDING, TRACKED, LOST = 0, 1, 2
_F = np.eye(8)
_F[:4, 4:] = np.eye(4)  # constant velocity: position += velocity each frame


class ByteTrackTracker:
    """`fps`: the source's frame rate (with `keep_s`, how many frames a lost track is kept).
    A new track has an id from its first detection (so a line crossed right after an object
    appears still counts); it is confirmed on its second, and the stage counts an object only
    once it was detected twice, so a one-frame flicker is never counted. `match` is the first
    association's cost threshold (1 - IoU x score): 0.9, not the published 0.8, so a person
    walking into view at 10 fps, whose box grows fast, keeps one id (on the shared person clip
    0.8 split each entry into two ids). `overlap`: a high box left over that overlaps a box
    placed on this frame (of its class) at this IoU or more is the detector's second box on
    one object and starts no track (1.0: off, as the published algorithm); at smaller input
    sizes such pairs became two objects that both crossed a counting line."""

    def __init__(
        self,
        fps: float = 30.0,
        keep_s: float = 1.5,
        match: float = 0.9,
        threshold: float = 0.5,
        overlap: float = 0.5,
    ) -> None:
        self.threshold = float(threshold)
        self.match = float(match)
        self.overlap = float(overlap)
        # frames a lost track waits to be found again: the published check (`frame - last >
        # buffer` drops it) takes effect one frame late, so a track is found up to buffer + 1
        # frames after its last detection
        self.buffer = max(1, round(keep_s * fps))
        self._frame = 0  # fresh and predicted frames so far (the tracks' clock)
        self._last_fresh = 0  # the frame of the last detection
        self._next_key = 1
        self._names: tuple[str, ...] = ()
        # the tracks, one row each: the followed ones (in the order they were followed) first,
        # then the lost ones (in the order they were lost), as the published lists
        self._mean = np.zeros((0, 8))  # Kalman state (cx, cy, aspect, height) and velocities
        self._cov = np.zeros((0, 8, 8))
        self._key = np.zeros(0, np.int64)  # the id, 1, 2, 3... in order of first detection
        self._cls = np.zeros(0, np.int32)
        self._score = np.zeros(0, np.float32)  # of the last detection
        self._state = np.zeros(0, np.int8)  # PENDING, TRACKED or LOST
        self._last = np.zeros(0, np.int64)  # frame of the last detection
        self._start = np.zeros(0, np.int64)  # frame of the first detection
        # the last detected box (source pixels) and the Kalman (cx, cy, aspect, height) then:
        # a predicted box is that box moved as the state moved since
        self._anchor = np.zeros((0, 4), np.float32)
        self._anchor_xyah = np.zeros((0, 4))

    @property
    def low(self) -> float:
        """Half the threshold, not below ByteTrack's 0.1: on the shared person clip this keeps
        the television (scores around 0.5) on one id (see docs/tracking.md)."""
        return min(self.threshold, max(LOW_FLOOR, self.threshold / 2))

    def __len__(self) -> int:
        """Tracks kept (followed, waiting for their second detection, or lost)."""
        return len(self._key)

    def update(self, detections: Detections) -> Detections:
        self._names = tuple(detections.names)
        boxes, scores, cids = detections.boxes, detections.scores, detections.class_ids
        high = scores >= np.float32(self.threshold)  # inclusive, as the detector's threshold
        ids = np.full(len(detections), -1, np.int64)
        if len(self._key) or high.any():
            self._update(boxes, scores, cids, high, ids)
        tracked = Detections(boxes, scores, cids, self._names, ids, np.zeros(len(ids), bool))
        # a low box no followed object took is not shown (nor counted, logged or recorded)
        shown = (ids >= 0) | high
        return tracked if shown.all() else tracked[shown]

    def _update(
        self, boxes: np.ndarray, scores: np.ndarray, cids: np.ndarray, high: np.ndarray, ids: np.ndarray
    ) -> None:
        self._frame += 1
        f = self._frame
        state = self._state
        n = len(state)
        row = np.full(n, -1, np.int64)  # the detection each track took on this frame
        # where each track goes in the published list order: followed (0 still, 1 new, 2 found
        # again), then lost (3 still, 4 lost now); 5 is dropped
        group = np.where(state == LOST, 3, 0)
        hi = np.flatnonzero(high)
        # 1. high boxes to the confirmed and the lost tracks, moved one frame on
        pool = np.flatnonzero(state != PENDING)
        if len(pool):
            self._predict(pool)
            if len(hi):
                t, d = _assign(self._cost(pool, boxes[hi], cids[hi], scores[hi]), self.match)
                found = pool[t]
                group[found[state[found] == LOST]] = 2
                self._correct(found, hi[d], boxes, scores, row)
                hi = _without(hi, d)
            # 2. low boxes to the followed tracks left over (not to lost ones: a low box alone
            # is too weak to bring an object back); those still left over are lost
            rest = np.flatnonzero((state == TRACKED) & (row < 0))
            if len(rest):
                lo = np.flatnonzero(~high & (scores >= np.float32(self.low)))
                if len(lo):
                    t, d = _assign(self._cost(rest, boxes[lo], cids[lo]), LOW_MATCH)
                    self._correct(rest[t], lo[d], boxes, scores, row)
                    rest = _without(rest, t)
                state[rest] = LOST
                group[rest] = 4
        # 3. the high boxes left over to the tracks waiting for their second detection: those
        # detected again are confirmed, the others were a flicker and go
        wait = np.flatnonzero(state == PENDING)
        if len(wait):
            if len(hi):
                t, d = _assign(self._cost(wait, boxes[hi], cids[hi], scores[hi]), NEW_MATCH)
                self._correct(wait[t], hi[d], boxes, scores, row)
                hi, wait = _without(hi, d), _without(wait, t)
            group[wait] = 5
        # lost too long: the published check runs before this frame's losses, on the
        # previous frame's verdict, hence buffer + 1
        group[(group == 3) & (f - self._last > self.buffer + 1)] = 5
        # 4. each high box still left starts a track (confirmed at once on the very first frame),
        # unless it is a second box on an object already placed on this frame
        if len(hi) and self.overlap < 1.0:
            hi = self._not_placed(hi, boxes, cids, scores, row)
        if len(hi):
            self._add(hi, boxes, scores, cids, TRACKED if f == 1 else PENDING)
            row = np.concatenate([row, hi])
            group = np.concatenate([group, np.ones(len(hi), np.int64)])
        if group.any():
            order = np.argsort(group, kind="stable")
            order = order[: len(order) - np.count_nonzero(group == 5)]
            self._take(order)
            row = row[order]
        # 5. a lost track on the spot of a followed one: the younger of the two goes
        row = self._drop_duplicates(row)
        placed = row >= 0
        ids[row[placed]] = self._key[placed]
        self._anchor[placed] = boxes[row[placed]]
        self._anchor_xyah[placed] = self._mean[placed, :4]
        self._last_fresh = f

    def predict(self) -> Detections:
        if not len(self._key):
            return _none(self._names)
        self._frame += 1
        f = self._frame
        # the followed tracks move on and count as lost until detected again; those waiting
        # for their second detection sit this frame out and only move on
        state = self._state
        self._predict(np.arange(len(state)))
        group = np.where(state == PENDING, 0, np.where(state == LOST, 1, 2))
        group[(group == 1) & (f - self._last > self.buffer + 1)] = 3
        state[state == TRACKED] = LOST
        if (group[1:] < group[:-1]).any() or group[-1] == 3:
            order = np.argsort(group, kind="stable")
            self._take(order[: len(order) - np.count_nonzero(group == 3)])
        # the tracks the last detection placed: older losses were not shown then either
        shown = np.flatnonzero(self._last == self._last_fresh)
        lost = self._state[shown] == LOST
        shown = np.concatenate([shown[lost], shown[~lost]])
        if not len(shown):
            return _none(self._names)
        xyxy = _moved(self._anchor[shown], self._anchor_xyah[shown], self._mean[shown, :4])
        return Detections(
            xyxy,
            self._score[shown],
            self._cls[shown],
            self._names,
            self._key[shown],
            np.ones(len(shown), bool),
        )

    # --- the steps on rows of the track arrays ---

    def _cost(
        self, tracks: np.ndarray, boxes: np.ndarray, cids: np.ndarray, scores: np.ndarray | None = None
    ) -> np.ndarray:
        """1 - IoU (x the detection's score when given), 1 between different classes."""
        if not len(tracks) or not len(boxes):
            return np.zeros((len(tracks), len(boxes)))
        sim = _iou(self._mean[tracks], boxes) * (self._cls[tracks, None] == cids[None, :])
        if scores is not None:
            sim *= scores
        return 1.0 - sim

    def _predict(self, rows: np.ndarray) -> None:
        """The Kalman prediction, one frame on; a lost track's height stops changing."""
        if not len(rows):
            return
        mean = self._mean[rows]
        mean[self._state[rows] == LOST, 7] = 0.0
        self._mean[rows], self._cov[rows] = kalman_predict(mean, self._cov[rows])

    def _correct(
        self, tracks: np.ndarray, dets: np.ndarray, boxes: np.ndarray, scores: np.ndarray, row: np.ndarray
    ) -> None:
        """The Kalman correction of `tracks` by detections `dets`; they are followed again."""
        if not len(tracks):
            return
        self._mean[tracks], self._cov[tracks] = kalman_correct(
            self._mean[tracks], self._cov[tracks], _xyah(boxes[dets])
        )
        self._state[tracks] = TRACKED
        self._last[tracks] = self._frame
        self._score[tracks] = scores[dets]
        row[tracks] = dets

    def _add(
        self, dets: np.ndarray, boxes: np.ndarray, scores: np.ndarray, cids: np.ndarray, state: int
    ) -> None:
        k = len(dets)
        if not k:
            return
        xyah = _xyah(boxes[dets])
        mean, cov = kalman_start(xyah)
        f = self._frame
        self._mean = np.concatenate([self._mean, mean])
        self._cov = np.concatenate([self._cov, cov])
        self._key = np.concatenate([self._key, np.arange(self._next_key, self._next_key + k)])
        self._next_key += k
        self._cls = np.concatenate([self._cls, cids[dets]])
        self._score = np.concatenate([self._score, scores[dets]])
        self._state = np.concatenate([self._state, np.full(k, state, np.int8)])
        self._last = np.concatenate([self._last, np.full(k, f)])
        self._start = np.concatenate([self._start, np.full(k, f)])
        self._anchor = np.concatenate([self._anchor, boxes[dets]])
        self._anchor_xyah = np.concatenate([self._anchor_xyah, xyah])

    def _not_placed(
        self, new: np.ndarray, boxes: np.ndarray, cids: np.ndarray, scores: np.ndarray, row: np.ndarray
    ) -> np.ndarray:
        """The boxes of `new` that overlap no box of their class placed on this frame (by a track,
        or by a new box of a higher score) at IoU `overlap` or more."""
        new = new[np.argsort(-scores[new], kind="stable")]
        placed = list(row[row >= 0])
        keep = []
        for i in new.tolist():
            same = [j for j in placed if cids[j] == cids[i]]
            if same and _box_iou(boxes[i], boxes[same]).max() >= self.overlap:
                continue
            keep.append(i)
            placed.append(i)
        return np.sort(np.array(keep, np.int64))

    def _take(self, rows: np.ndarray) -> None:
        """Keep these rows, in this order."""
        for name in _ARRAYS:
            setattr(self, name, getattr(self, name)[rows])

    def _drop_duplicates(self, row: np.ndarray) -> np.ndarray:
        """Of a followed and a lost track on one spot, the one followed for fewer frames goes."""
        lost = self._state == LOST
        a, b = np.flatnonzero(~lost), np.flatnonzero(lost)
        if not len(a) or not len(b):
            return row
        same = self._cost(a, _xyxy(self._mean[b]), self._cls[b]) < DUPLICATE
        if not same.any():
            return row
        age = self._last - self._start
        older = age[a, None] > age[None, b]
        keep = np.ones(len(self._key), bool)
        keep[b[(same & older).any(axis=0)]] = False
        keep[a[(same & ~older).any(axis=1)]] = False
        self._take(np.flatnonzero(keep))
        return row[keep]


_ARRAYS = (
    "_mean",
    "_cov",
    "_key",
    "_cls",
    "_score",
    "_state",
    "_last",
    "_start",
    "_anchor",
    "_anchor_xyah",
)


def _assign(cost: np.ndarray, limit: float) -> tuple[np.ndarray, np.ndarray]:
    """The minimum-cost one-to-one assignment, as the published ByteTrack: costs above `limit`
    are set just above it before solving, and pairs above it are then left out. Rows, columns."""
    if not cost.size:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    cost = np.where(cost > limit, limit + 1e-4, cost)
    if cost.shape[0] == 1:  # one track or one box: the cheapest pair, without the solver's overhead
        r, c = np.zeros(1, np.int64), np.argmin(cost, axis=1)
    elif cost.shape[1] == 1:
        r, c = np.argmin(cost, axis=0), np.zeros(1, np.int64)
    else:
        r, c = linear_sum_assignment(cost)
    ok = cost[r, c] <= limit
    return r[ok], c[ok]


def _without(a: np.ndarray, positions: np.ndarray) -> np.ndarray:
    """`a` less the entries at `positions` (np.delete's work, without its overhead)."""
    if not len(positions):
        return a
    keep = np.ones(len(a), bool)
    keep[positions] = False
    return a[keep]


def _box_iou(box: np.ndarray, boxes: np.ndarray) -> np.ndarray:
    """IoU of one xyxy box with each of `boxes`."""
    wh = np.maximum(np.minimum(box[2:], boxes[:, 2:]) - np.maximum(box[:2], boxes[:, :2]), 0.0)
    inter = wh[:, 0] * wh[:, 1]
    area = (box[2] - box[0]) * (box[3] - box[1])
    union = area + (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1]) - inter
    return inter / np.maximum(union, 1e-9)


def _iou(xyah: np.ndarray, boxes: np.ndarray) -> np.ndarray:
    """IoU of every track (its Kalman state: cx, cy, aspect, height) with every xyxy box."""
    half = xyah[:, 2:4] * 0.5
    half[:, 0] *= xyah[:, 3]  # (w/2, h/2)
    lt = np.maximum((xyah[:, :2] - half)[:, None], boxes[None, :, :2])
    rb = np.minimum((xyah[:, :2] + half)[:, None], boxes[None, :, 2:])
    wh = np.maximum(rb - lt, 0.0)
    inter = wh[..., 0] * wh[..., 1]
    area = (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])
    union = (4 * half[:, 0] * half[:, 1])[:, None] + area - inter
    return inter / np.maximum(union, 1e-9)


def _xyah(boxes: np.ndarray) -> np.ndarray:
    """xyxy -> (cx, cy, aspect w/h, height)."""
    out = np.empty((len(boxes), 4))
    out[:, 2:] = boxes[:, 2:] - boxes[:, :2]  # w, h
    out[:, :2] = boxes[:, :2] + out[:, 2:] / 2
    out[:, 2] /= out[:, 3]
    return out


def _xyxy(xyah: np.ndarray) -> np.ndarray:
    """(cx, cy, aspect, height, ...) -> xyxy."""
    half = xyah[:, 2:4] * 0.5
    half[:, 0] *= xyah[:, 3]
    return np.concatenate([xyah[:, :2] - half, xyah[:, :2] + half], axis=1)


# --- the Kalman filter, on many tracks at once: state (cx, cy, aspect, height) and velocities,
# constant velocity, the box measured directly; noise in proportion to the height (the
# published values: 1/20 of the height for positions, 1/160 for velocities)

_Q_H = np.square([STD_POS, STD_POS, 0, STD_POS, STD_VEL, STD_VEL, 0, STD_VEL])  # x height^2
_Q_0 = np.square([0, 0, 1e-2, 0, 0, 0, 1e-5, 0])  # the aspect's, fixed
_START_H = np.square([2 * STD_POS, 2 * STD_POS, 0, 2 * STD_POS, 10 * STD_VEL, 10 * STD_VEL, 0, 10 * STD_VEL])
_START_0 = np.square([0, 0, 1e-2, 0, 0, 0, 1e-5, 0])
_R_H = np.square([STD_POS, STD_POS, 0, STD_POS])  # the measurement's
_R_0 = np.square([0, 0, 1e-1, 0])
_EYE4, _EYE8 = np.eye(4), np.eye(8)


def kalman_start(xyah: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """New tracks at these measurements, at rest, uncertain in proportion to their height."""
    mean = np.zeros((len(xyah), 8))
    mean[:, :4] = xyah
    var = np.square(xyah[:, 3])[:, None] * _START_H + _START_0
    return mean, var[:, :, None] * _EYE8


def kalman_predict(mean: np.ndarray, cov: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """One frame on: x' = F x, P' = F P F^T + Q."""
    q = np.square(mean[:, 3])[:, None] * _Q_H + _Q_0
    return mean @ _F.T, _F @ cov @ _F.T + q[:, :, None] * _EYE8


def kalman_correct(mean: np.ndarray, cov: np.ndarray, z: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Corrected by measurements `z` (cx, cy, aspect, height): with H = [I 0], S = P[:4, :4] + R,
    the gain K = P[:, :4] S^-1 (a 4x4 solve per track, all at once)."""
    s = cov[:, :4, :4] + (np.square(mean[:, 3])[:, None] * _R_H + _R_0)[:, :, None] * _EYE4
    gain = np.linalg.solve(s, cov[:, :4, :]).transpose(0, 2, 1)  # S and P symmetric
    mean = mean + (gain @ (z - mean[:, :4])[:, :, None])[:, :, 0]
    return mean, cov - gain @ s @ gain.transpose(0, 2, 1)


def _none(names: tuple[str, ...]) -> Detections:
    """No boxes, but tracked: empty id and predicted columns (not None, which means untracked)."""
    return Detections(np.zeros((0, 4)), [], [], names, [], [])


def _moved(box: np.ndarray, then: np.ndarray, now: np.ndarray) -> np.ndarray:
    """The last detected boxes, moved and scaled as the Kalman states (cx, cy, aspect, height)
    moved since: the detector's box shape with the tracker's motion, not the filter's smoothed
    box."""
    w0, h0 = then[:, 2] * then[:, 3], then[:, 3]
    w1, h1 = now[:, 2] * now[:, 3], now[:, 3]
    sx = np.divide(w1, w0, out=np.ones_like(w0), where=w0 > 0)
    sy = np.divide(h1, h0, out=np.ones_like(h0), where=h0 > 0)
    cx = (box[:, 0] + box[:, 2]) / 2 + now[:, 0] - then[:, 0]
    cy = (box[:, 1] + box[:, 3]) / 2 + now[:, 1] - then[:, 1]
    hw, hh = (box[:, 2] - box[:, 0]) * sx / 2, (box[:, 3] - box[:, 1]) * sy / 2
    out = np.stack([cx - hw, cy - hh, cx + hw, cy + hh], axis=1).astype(np.float32)
    out[:, 2:] = np.maximum(out[:, 2:], out[:, :2])
    return out
