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

What a frame costs: a fixed number of numpy calls (each about half a microsecond of overhead
whatever the array size), so the steps skip what a frame does not need (no lost track, no track
waiting for its second detection, every track matched, one track and one box) and work on the
arrays in place where every track takes part.
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
MIN_HEIGHT = 1e-2  # px: the least height a box is followed at (see `_xyah`)
# a track's state: detected once (confirmed by a second detection), followed, or lost
PENDING, TRACKED, LOST = 0, 1, 2


ALL = slice(None)  # every track, in place (an index array copies the rows out and back)


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
        self._kf = np.zeros((0, 5, 4))  # Kalman state (see `kalman_start`)
        self._key = np.zeros(0, np.int64)  # the id, 1, 2, 3... in order of first detection
        self._cls = np.zeros(0, np.int32)
        self._score = np.zeros(0, np.float32)  # of the last detection
        self._state = np.zeros(0, np.int8)  # PENDING, TRACKED or LOST
        self._last = np.zeros(0, np.int64)  # frame of the last detection
        self._start = np.zeros(0, np.int64)  # frame of the first detection
        # the last detected box (source pixels) and the Kalman (cx, cy, aspect, height) then:
        # a predicted box is that box moved as the state moved since
        self._box = np.zeros((0, 4), np.float32)
        self._box_xyah = np.zeros((0, 4))

    @property
    def low(self) -> float:
        """Half the threshold, not below ByteTrack's 0.1: on the shared person clip this keeps
        the television (scores around 0.5) on one id (see docs/tracking.md)."""
        return min(self.threshold, max(LOW_FLOOR, self.threshold / 2))

    def __len__(self) -> int:
        """Tracks kept (followed, waiting for their second detection, or lost)."""
        return len(self._key)

    def update(self, detections: Detections) -> Detections:
        names = self._names = detections.names
        boxes, scores, cids = detections.boxes, detections.scores, detections.class_ids
        high = scores >= np.float32(self.threshold)  # inclusive, as the detector's threshold
        hi = high.nonzero()[0]
        ids = _unplaced(len(scores))
        if len(self._key) or len(hi):
            self._update(boxes, scores, cids, high, hi, ids)
        if len(hi) == len(ids):  # all high: all shown (the arrays are the detections' own, or new)
            return Detections.of_arrays(boxes, scores, cids, names, ids, np.zeros(len(ids), bool))
        # a low box no followed object took is not shown (nor counted, logged or recorded)
        shown = (ids >= 0) | high
        ids = ids[shown]
        return Detections.of_arrays(
            boxes[shown], scores[shown], cids[shown], names, ids, np.zeros(len(ids), bool)
        )

    def _update(
        self,
        boxes: np.ndarray,
        scores: np.ndarray,
        cids: np.ndarray,
        high: np.ndarray,
        hi: np.ndarray,
        ids: np.ndarray,
    ) -> None:
        self._frame += 1
        f = self._frame
        state = self._state
        n = len(state)
        pending, tracked, lost = np.bincount(state, minlength=3).tolist()
        row = _unplaced(n)  # the detection each track took on this frame
        placed = 0  # how many took one
        # where each track goes in the published list order: followed (0 still, 1 new, 2 found
        # again), then lost (3 still, 4 lost now); 5 is dropped. Unless one of those happens
        # (`moved`), the order stays
        group = np.where(state == LOST, 3, 0) if lost else np.zeros(n, np.int64)
        moved = lost_now = False
        # 1. high boxes to the confirmed and the lost tracks, moved one frame on
        pool = (state != PENDING).nonzero()[0] if pending else ALL
        if n > pending:
            self._predict(pool, lost > 0)
            t, back = _NONE, _NONE
            if len(hi):
                t, d = _assign(self._cost(pool, *_pick(hi, boxes, cids, scores)), self.match)
                found = t if pool is ALL else pool[t]
                if lost:
                    back = found[state[found] == LOST]
                    if len(back):
                        group[back] = 2
                        moved = True
                self._correct(found, hi[d], boxes, scores, row)
                placed += len(t)
                hi = _without(hi, d)
            # 2. low boxes to the followed tracks left over (not to lost ones: a low box alone
            # is too weak to bring an object back); those still left over are lost
            if len(t) - len(back) < tracked:  # a followed track took no box
                rest = ((state == TRACKED) & (row < 0)).nonzero()[0]
                if len(rest):
                    lo = (~high & (scores >= np.float32(self.low))).nonzero()[0]
                    if len(lo):
                        t, d = _assign(self._cost(rest, boxes[lo], cids[lo]), LOW_MATCH)
                        self._correct(rest[t], lo[d], boxes, scores, row)
                        placed += len(t)
                        rest = _without(rest, t)
                    if len(rest):
                        state[rest] = LOST
                        group[rest] = 4
                        moved = lost_now = True
        # 3. the high boxes left over to the tracks waiting for their second detection: those
        # detected again are confirmed, the others were a flicker and go
        if pending:
            wait = (state == PENDING).nonzero()[0]
            if len(hi):
                t, d = _assign(self._cost(wait, *_pick(hi, boxes, cids, scores)), NEW_MATCH)
                self._correct(wait[t], hi[d], boxes, scores, row)
                placed += len(t)
                hi, wait = _without(hi, d), _without(wait, t)
            if len(wait):
                group[wait] = 5
                moved = True
        # lost too long: the published check runs before this frame's losses, on the
        # previous frame's verdict, hence buffer + 1
        if lost:
            old = ((group == 3) & (f - self._last > self.buffer + 1)).nonzero()[0]
            if len(old):
                group[old] = 5
                moved = True
        # 4. each high box still left starts a track (confirmed at once on the very first frame),
        # unless it is a second box on an object already placed on this frame
        if len(hi) and self.overlap < 1.0:
            hi = self._not_placed(hi, boxes, cids, scores, row)
        if len(hi):
            self._add(hi, boxes, scores, cids, TRACKED if f == 1 else PENDING)
            row = np.concatenate([row, hi])
            group = np.concatenate([group, np.ones(len(hi), np.int64)])
            placed += len(hi)
            moved = True
        if moved:
            order = np.argsort(group, kind="stable")
            order = order[: len(order) - np.count_nonzero(group == 5)]
            self._take(order)
            row = row[order]
        # 5. a lost track on the spot of a followed one: the younger of the two goes
        kept = len(row)
        if lost or lost_now:
            row = self._drop_duplicates(row)
        if placed == kept == len(row):  # every track took a detection
            ids[row] = self._key
        else:
            took = row >= 0
            ids[row[took]] = self._key[took]
        self._last_fresh = f

    def predict(self) -> Detections:
        if not len(self._key):
            return _none(self._names)
        self._frame += 1
        f = self._frame
        # the followed tracks move on and count as lost until detected again; those waiting
        # for their second detection sit this frame out and only move on
        state = self._state
        lost = state == LOST
        self._kf[lost, 1, 3] = 0.0  # a lost track's height stops changing
        kalman_predict(self._kf)
        group = np.where(state == PENDING, 0, np.where(lost, 1, 2))
        group[(group == 1) & (f - self._last > self.buffer + 1)] = 3
        state[state == TRACKED] = LOST
        if np.count_nonzero(group[1:] < group[:-1]) or group[-1] == 3:
            order = np.argsort(group, kind="stable")
            self._take(order[: len(order) - np.count_nonzero(group == 3)])
        # the tracks the last detection placed: older losses were not shown then either
        shown = (self._last == self._last_fresh).nonzero()[0]
        lost = self._state[shown] == LOST
        shown = np.concatenate([shown[lost], shown[~lost]])
        if not len(shown):
            return _none(self._names)
        xyxy = _moved(self._box[shown], self._box_xyah[shown], self._kf[shown, 0])
        made = Detections.of_arrays if np.isfinite(xyxy).all() else Detections  # (which says what is wrong)
        return made(
            xyxy,
            self._score[shown],
            self._cls[shown],
            self._names,
            self._key[shown],
            np.ones(len(shown), bool),
        )

    # --- the steps on rows of the track arrays (an index array, or ALL) ---

    def _cost(
        self,
        tracks: np.ndarray | slice,
        boxes: np.ndarray,
        cids: np.ndarray,
        scores: np.ndarray | None = None,
    ) -> np.ndarray:
        """1 - IoU (x the detection's score when given), 1 between different classes."""
        cls = self._cls[tracks]
        if not len(cls) or not len(boxes):
            return np.zeros((len(cls), len(boxes)))
        sim = _iou(self._kf[tracks, 0], boxes)
        sim *= cls[:, None] == cids
        if scores is not None:
            sim *= scores
        return _ONE - sim

    def _predict(self, rows: np.ndarray | slice, lost: bool) -> None:
        """The Kalman prediction, one frame on; a lost track's height stops changing."""
        kf = self._kf[rows]  # a view for ALL, else a copy put back
        if lost:
            kf[self._state[rows] == LOST, 1, 3] = 0.0
        kalman_predict(kf)
        if rows is not ALL:
            self._kf[rows] = kf

    def _correct(
        self, tracks: np.ndarray, dets: np.ndarray, boxes: np.ndarray, scores: np.ndarray, row: np.ndarray
    ) -> None:
        """The Kalman correction of `tracks` (ascending) by detections `dets`; they are followed
        again, and their boxes now are what a prediction starts from."""
        if not len(tracks):
            return
        rows: np.ndarray | slice = ALL if len(tracks) == len(row) else tracks  # ascending: all, in order
        box = boxes[dets]
        kf = self._kf[rows]
        kalman_correct(kf, _xyah(box))
        if rows is not ALL:
            self._kf[rows] = kf
        self._box[rows] = box
        self._box_xyah[rows] = kf[:, 0]
        self._state[rows] = TRACKED
        self._last[rows] = self._frame
        self._score[rows] = scores[dets]
        row[rows] = dets

    def _add(
        self, dets: np.ndarray, boxes: np.ndarray, scores: np.ndarray, cids: np.ndarray, state: int
    ) -> None:
        k = len(dets)
        box = boxes[dets]
        xyah = _xyah(box)
        f = self._frame
        self._kf = np.concatenate([self._kf, kalman_start(xyah)])
        self._key = np.concatenate([self._key, np.arange(self._next_key, self._next_key + k)])
        self._next_key += k
        self._cls = np.concatenate([self._cls, cids[dets]])
        self._score = np.concatenate([self._score, scores[dets]])
        self._state = np.concatenate([self._state, np.full(k, state, np.int8)])
        self._last = np.concatenate([self._last, np.full(k, f)])
        self._start = np.concatenate([self._start, np.full(k, f)])
        self._box = np.concatenate([self._box, box])
        self._box_xyah = np.concatenate([self._box_xyah, xyah])

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
        """Of a followed and a lost track on one spot, the one followed for fewer frames goes.
        The followed tracks come first in the list, then the lost ones."""
        n = len(self._state)
        k = n - np.count_nonzero(self._state == LOST)
        if not 0 < k < n:
            return row
        same = self._cost(slice(0, k), _xyxy(self._kf[k:, 0]), self._cls[k:]) < DUPLICATE
        if not np.count_nonzero(same):
            return row
        age = self._last - self._start
        older = age[:k, None] > age[None, k:]
        keep = np.ones(n, bool)
        keep[k:][(same & older).any(axis=0)] = False
        keep[:k][(same & ~older).any(axis=1)] = False
        self._take(np.flatnonzero(keep))
        return row[keep]


# numbers as 0-d arrays: a Python number in an array operation costs a conversion each time
_ZERO, _HALF, _ONE, _FOUR, _TINY = map(np.array, (0.0, 0.5, 1.0, 4.0, 1e-9))
_ARRAYS = ("_kf", "_key", "_cls", "_score", "_state", "_last", "_start", "_box", "_box_xyah")
_NONE = np.zeros(0, np.int64)  # no rows (shared: never written)
_FIRST = np.zeros(1, np.int64)  # row 0
_NONE.flags.writeable = _FIRST.flags.writeable = False


def _assign(cost: np.ndarray, limit: float) -> tuple[np.ndarray, np.ndarray]:
    """The minimum-cost one-to-one assignment, as the published ByteTrack: costs above `limit`
    are set just above it before solving, and pairs above it are then left out. Rows
    (ascending), columns. One track or one box needs no solver: the cheapest pair, if within
    `limit` (the clipping changes no pair within it)."""
    rows, cols = cost.shape
    if not rows or not cols:
        return _NONE, _NONE
    if rows == 1:
        c = int(cost[0].argmin()) if cols > 1 else 0
        return (_FIRST, np.array([c]) if c else _FIRST) if cost[0, c] <= limit else (_NONE, _NONE)
    if cols == 1:
        r = int(cost[:, 0].argmin())
        return (np.array([r]), _FIRST) if cost[r, 0] <= limit else (_NONE, _NONE)
    cost = np.where(cost > limit, limit + 1e-4, cost)
    r, c = linear_sum_assignment(cost)
    ok = cost[r, c] <= limit
    return r[ok], c[ok]


def _unplaced(n: int) -> np.ndarray:
    """n times -1 (np.full's work, without its overhead)."""
    out = np.empty(n, np.int64)
    out.fill(-1)
    return out


def _pick(rows: np.ndarray, *arrays: np.ndarray) -> tuple[np.ndarray, ...]:
    """`arrays` at `rows` (ascending), without a copy when that is every row."""
    if len(rows) == len(arrays[0]):
        return arrays
    return tuple(a[rows] for a in arrays)


def _without(a: np.ndarray, positions: np.ndarray) -> np.ndarray:
    """`a` less the entries at `positions` (np.delete's work, without its overhead)."""
    if not len(positions):
        return a
    if len(positions) == len(a):
        return _NONE
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
    half = xyah[:, 2:4] * _HALF
    half[:, 0] *= xyah[:, 3]  # (w/2, h/2)
    lt = np.maximum((xyah[:, :2] - half)[:, None], boxes[:, :2])
    rb = np.minimum((xyah[:, :2] + half)[:, None], boxes[:, 2:])
    wh = np.maximum(rb - lt, _ZERO)
    inter = wh[..., 0] * wh[..., 1]
    area = (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])
    union = (_FOUR * half[:, 0] * half[:, 1])[:, None] + area - inter
    return inter / np.maximum(union, _TINY)


def _xyah(boxes: np.ndarray) -> np.ndarray:
    """xyxy -> (cx, cy, aspect w/h, height). A box with no height (clipped flat at the frame's
    edge) counts as `MIN_HEIGHT` tall: its aspect and its filter's noise stay finite."""
    out = np.empty((len(boxes), 4))
    out[:, 2:] = boxes[:, 2:] - boxes[:, :2]  # w, h
    out[:, :2] = boxes[:, :2] + out[:, 2:] / 2
    np.maximum(out[:, 3], MIN_HEIGHT, out=out[:, 3])
    out[:, 2] /= out[:, 3]
    return out


def _xyxy(xyah: np.ndarray) -> np.ndarray:
    """(cx, cy, aspect, height) -> xyxy."""
    half = xyah[:, 2:4] * 0.5
    half[:, 0] *= xyah[:, 3]
    return np.concatenate([xyah[:, :2] - half, xyah[:, :2] + half], axis=1)


# --- the Kalman filter, on many tracks at once: the state is the box (cx, cy, aspect, height)
# and its velocity, constant velocity, the box measured directly, noise in proportion to the
# height (the published values: 1/20 of the height for positions, 1/160 for velocities).
#
# In this model each of the four coordinates is a filter of its own: the motion moves a
# coordinate by its own velocity, and the process, measurement and start noises are diagonal,
# so the published 8x8 covariance only ever holds, per coordinate i, the variance of i (P[i, i]),
# of its velocity (P[i+4, i+4]) and their covariance (P[i, i+4] = P[i+4, i]); every other entry
# stays exactly 0. Each track's state is kept as those numbers, a 5x4 array: rows position,
# velocity, var(position), cov(position, velocity), var(velocity), one column per coordinate.
# The published F P F^T and K S K^T, and the 4x4 solve for the gain (S is diagonal), become a
# few elementwise operations with the same results (tests/track/test_bytetrack.py compares
# them with the published filter and the matrix formulas).

_POS, _VEL, _PP, _PV, _VV = range(5)
_Q_H = np.square([[STD_POS, STD_POS, 0, STD_POS], [0, 0, 0, 0], [STD_VEL, STD_VEL, 0, STD_VEL]])  # x height^2
_Q_0 = np.square([[0, 0, 1e-2, 0], [0, 0, 0, 0], [0, 0, 1e-5, 0]])  # the aspect's, fixed
_START_H = np.square(
    [[2 * STD_POS, 2 * STD_POS, 0, 2 * STD_POS], [0, 0, 0, 0], [10 * STD_VEL, 10 * STD_VEL, 0, 10 * STD_VEL]]
)
_START_0 = _Q_0
_R_H = np.square([STD_POS, STD_POS, 0, STD_POS])  # the measurement's
_R_0 = np.square([0, 0, 1e-1, 0])


def kalman_start(xyah: np.ndarray) -> np.ndarray:
    """New tracks at these measurements (n, 4), at rest, uncertain in proportion to their
    height: the (n, 5, 4) state described above."""
    kf = np.zeros((len(xyah), 5, 4))
    kf[:, _POS] = xyah
    kf[:, _PP:] = np.square(xyah[:, 3])[:, None, None] * _START_H + _START_0
    return kf


def kalman_predict(kf: np.ndarray) -> None:
    """One frame on, in place: x' = F x, P' = F P F^T + Q (Q from the height before the move)."""
    q = np.square(kf[:, _POS, 3])[:, None, None] * _Q_H + _Q_0
    kf[:, _POS] += kf[:, _VEL]
    kf[:, _PP] += kf[:, _PV]
    kf[:, _PV] += kf[:, _VV]
    kf[:, _PP] += kf[:, _PV]  # var(x + v) = var(x) + 2 cov(x, v) + var(v)
    kf[:, _PP:] += q


def kalman_correct(kf: np.ndarray, z: np.ndarray) -> None:
    """Corrected by measurements `z` (n, 4: cx, cy, aspect, height), in place: with H = [I 0],
    S = P[:4, :4] + R (diagonal), the gain K = P[:, :4] S^-1, x' = x + K (z - x[:4]) and
    P' = P - K S K^T."""
    s = kf[:, _PP] + (np.square(kf[:, _POS, 3:4]) * _R_H + _R_0)
    gain = kf[:, _PP : _PV + 1] / s[:, None]  # (position, velocity) rows of K
    innovation = z - kf[:, _POS]
    kf[:, _POS : _VEL + 1] += gain * innovation[:, None]
    kf[:, _VV] -= gain[:, 1] * kf[:, _PV]  # K S K^T, term by term: var(v) - cov(x, v)^2 / s
    kf[:, _PP : _PV + 1] -= gain * kf[:, _PP, None]  # var(x) - var(x)^2 / s, cov - var(x) cov / s


def kalman_matrices(kf: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The published form of states `kf`: means (n, 8) and covariances (n, 8, 8)."""
    n = len(kf)
    mean = kf[:, _POS : _VEL + 1].reshape(n, 8)
    cov = np.zeros((n, 8, 8))
    i = np.arange(4)
    cov[:, i, i] = kf[:, _PP]
    cov[:, i + 4, i + 4] = kf[:, _VV]
    cov[:, i, i + 4] = cov[:, i + 4, i] = kf[:, _PV]
    return mean, cov


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
