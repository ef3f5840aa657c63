"""The reference camapp's ByteTrack is compared with: the tracker camapp ran until it had its own,
supervision 0.23's ByteTrack (MIT) behind the same interface, kept as it was (test-only; the
`test` extra installs supervision 0.23).

Pinned to 0.23: later releases require the GUI build of OpenCV (opencv-python), which breaks
PyQt6, and 0.31 dropped ByteTrack. One ByteTrack for all classes, each class's boxes moved into
a plane of their own (as batched NMS does), so a person never becomes a chair and a frame pays
the library's fixed cost once, not once per class; ids are this tracker's own, 1, 2, 3... in
order of first detection.

`Reference` is the same with its one known fault mended (see its docstring).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import supervision as sv
from supervision.tracker.byte_tracker.basetrack import TrackState
from supervision.tracker.byte_tracker.kalman_filter import KalmanFilter

from camapp.types import Detections

PRUNE_EVERY = 30  # frames between sweeps of the anchors of forgotten tracks
LOW_FLOOR = 0.1  # ByteTrack's own lower bound for the second association
# offset between two classes' planes: no box of a frame up to 10000 px reaches the next plane, so
# no IoU across classes. Planes form a grid of GRID columns, so that 4096 classes stay within
# 6.4e5 px, where float32 (the library stores boxes so) still resolves 1/16 px
PLANE = 10_000.0
GRID = 64


class _KalmanFilter(KalmanFilter):
    """The library's filter, its correction step's 4x4 solve done by numpy instead of scipy's
    cho_factor/cho_solve: the same equations and matrices (`project` is the library's), equal to
    1e-9 (tests/track/test_bytetrack.py). scipy 1.15+ wraps each of those calls in array-API
    dispatch that costs more than the solve; this runs per followed object per frame."""

    def update(
        self, mean: np.ndarray, covariance: np.ndarray, measurement: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        projected_mean, projected_cov = self.project(mean, covariance)
        # P H^T with H = [I 0] (the library's _update_mat) is P's first four columns
        gain = np.linalg.solve(projected_cov, covariance[:, :4].T).T
        new_mean = mean + (measurement - projected_mean) @ gain.T
        return new_mean, covariance - gain @ projected_cov @ gain.T


class ByteTrackTracker:
    """`fps`: the source's frame rate (with `keep_s`, how many frames a lost track is kept).
    A new track has an id from its first detection (so a line crossed right after an object
    appears still counts); ByteTrack confirms it on its second, and the stage counts an object
    only once it was detected twice, so a one-frame flicker is never counted. `match` is its
    cost threshold (1 - IoU x score): 0.9, not the library's 0.8, so a person walking into view
    at 10 fps, whose box grows fast, keeps one id (on the shared person clip 0.8 split each
    entry into two ids)."""

    def __init__(
        self, fps: float = 30.0, keep_s: float = 1.5, match: float = 0.9, threshold: float = 0.5
    ) -> None:
        self.threshold = float(threshold)
        self._tracker = sv.ByteTrack(
            track_activation_threshold=0.25,
            lost_track_buffer=max(1, round(keep_s * fps)),
            minimum_matching_threshold=match,
            frame_rate=30,  # with lost_track_buffer in frames, as above
            minimum_consecutive_frames=1,
        )
        self._tracker.kalman_filter = _KalmanFilter()  # what each new track uses
        self._ids: dict[int, int] = {}  # library id -> our id (pruned with the anchors)
        self._next_id = 1
        self._last_fresh = 0  # library frame of the last detection
        self._pruned = 0  # library frame of the last sweep
        # library id -> the last detected box (source pixels) and the track's Kalman mean then
        self._anchors: dict[int, tuple[np.ndarray, np.ndarray]] = {}
        self._names: tuple[str, ...] = ()

    @property
    def low(self) -> float:
        """Half the threshold, not below ByteTrack's 0.1: on the shared person clip this keeps
        the television (scores around 0.5) on one id (see docs/tracking.md)."""
        return min(self.threshold, max(LOW_FLOOR, self.threshold / 2))

    def _our_id(self, ext: int) -> int:
        if ext < 0:
            return -1
        if ext not in self._ids:
            self._ids[ext] = self._next_id
            self._next_id += 1
        return self._ids[ext]

    def update(self, detections: Detections) -> Detections:
        self._names = tuple(detections.names)
        tracker = self._tracker
        high = np.float32(self.threshold)
        # "high" is the user's threshold, inclusive as the detector's (the library compares with
        # >), and a new track needs no more than that (the library adds 0.1)
        tracker.track_activation_threshold = tracker.det_thresh = float(np.nextafter(high, -1.0))
        ids = np.full(len(detections), -1, np.int64)
        # a low box only continues a followed object: of a class with none, it goes now
        followed = {int(t.class_ids) for t in tracker.tracked_tracks}
        keep = detections.scores >= high
        if followed and not keep.all():
            keep |= np.isin(detections.class_ids, list(followed))
        rows = np.flatnonzero(keep)
        if len(rows) or tracker.tracked_tracks or tracker.lost_tracks:
            self._update(tracker, detections, rows, ids)
        tracked = Detections(
            detections.boxes,
            detections.scores,
            detections.class_ids,
            detections.names,
            ids,
            np.zeros(len(ids), bool),
        )
        # a low box no followed object took is not shown (nor counted, logged or recorded)
        shown = (ids >= 0) | (detections.scores >= high)
        return tracked if shown.all() else tracked[shown]

    def _update(self, tracker: Any, detections: Detections, rows: np.ndarray, ids: np.ndarray) -> None:
        boxes = detections.boxes[rows]
        cids = detections.class_ids[rows]
        tensors = np.empty((len(rows), 6), np.float32)
        tensors[:, :4] = boxes
        tensors[:, [0, 2]] += (cids % GRID * PLANE)[:, None]  # each class in a plane of its own
        tensors[:, [1, 3]] += (cids // GRID * PLANE)[:, None]
        tensors[:, 4] = _distinct(detections.scores[rows])
        tensors[:, 5] = cids
        tracker.update_with_tensors(tensors)
        frame = self._last_fresh = tracker.frame_id
        self._prune(tracker)
        if not len(rows):
            return
        # Which box became which track: a track the library placed on this frame took its
        # detection's score (`STrack.update`/`re_activate` copy it; a new track is that
        # detection), and the scores were made distinct above, so the score names the row.
        # Exact, and no second IoU matrix and assignment per frame.
        row_of = {float(v): r for r, v in enumerate(tensors[:, 4])}
        for t in tracker.tracked_tracks:
            if t.frame_id != frame or t.external_track_id < 0 or t.state != TrackState.Tracked:
                continue
            r = row_of.get(float(t.score))
            if r is not None:
                ext = int(t.external_track_id)
                ids[rows[r]] = self._our_id(ext)
                self._anchors[ext] = (boxes[r], t.mean.copy())

    def _prune(self, tracker: Any) -> None:
        """Every `PRUNE_EVERY` frames, forget the anchors and ids of tracks the library has
        removed: a camera that runs for days keeps only the live ones."""
        if tracker.frame_id - self._pruned < PRUNE_EVERY:
            return
        self._pruned = tracker.frame_id
        alive = {int(t.external_track_id) for t in tracker.tracked_tracks + tracker.lost_tracks}
        for ext in [k for k in self._anchors if k not in alive]:
            del self._anchors[ext]
        for ext in [k for k in self._ids if k not in alive]:
            del self._ids[ext]

    def predict(self) -> Detections:
        tracker = self._tracker
        if not tracker.tracked_tracks and not tracker.lost_tracks:
            return _none(self._names)
        # New tracks wait for their second detection to be confirmed; an update without one
        # would drop them, so they sit this frame out and only move on.
        pending = [t for t in tracker.tracked_tracks if not t.is_activated]
        tracker.tracked_tracks = [t for t in tracker.tracked_tracks if t.is_activated]
        tracker.update_with_tensors(np.zeros((0, 6), np.float32))  # every confirmed track moves on
        self._prune(tracker)
        for t in pending:
            t.predict()
        tracker.tracked_tracks.extend(pending)
        boxes, scores, classes, ids = [], [], [], []
        for t in tracker.lost_tracks + pending:
            # the tracks the last detection placed: older losses were not shown then either
            ext = int(t.external_track_id)
            if t.end_frame == self._last_fresh and ext in self._anchors:
                boxes.append(_moved(*self._anchors[ext], t.mean))  # moves cancel the plane offset
                scores.append(float(t.score))
                classes.append(int(t.class_ids))
                ids.append(self._our_id(ext))
        if not boxes:
            return _none(self._names)
        xyxy = np.asarray(boxes, np.float32)
        xyxy[:, 2:] = np.maximum(xyxy[:, 2:], xyxy[:, :2])
        return Detections(xyxy, scores, classes, self._names, ids, np.ones(len(ids), bool))


def _none(names: tuple[str, ...]) -> Detections:
    """No boxes, but tracked: empty id and predicted columns (not None, which means untracked)."""
    return Detections(np.zeros((0, 4)), [], [], names, [], [])


def _distinct(scores: np.ndarray) -> np.ndarray:
    """`scores` as float32 with ties broken by the smallest step up (a quantized model gives
    many equal scores): each row's score is its own, and nothing else changes measurably."""
    out = np.asarray(scores, np.float32).copy()
    if len(np.unique(out)) == len(out):
        return out
    order = np.argsort(out, kind="stable")
    for a, b in zip(order[:-1], order[1:]):
        if out[b] <= out[a]:
            out[b] = np.nextafter(out[a], np.float32(2))
    return out


def _moved(box: np.ndarray, then: np.ndarray, now: np.ndarray) -> np.ndarray:
    """The last detected box, moved and scaled as the Kalman state (cx, cy, aspect, height) moved
    since: the detector's box shape with the tracker's motion, not the filter's smoothed box."""
    w0, h0 = then[2] * then[3], then[3]
    sx = (now[2] * now[3]) / w0 if w0 > 0 else 1.0
    sy = now[3] / h0 if h0 > 0 else 1.0
    cx, cy = (box[0] + box[2]) / 2 + now[0] - then[0], (box[1] + box[3]) / 2 + now[1] - then[1]
    hw, hh = (box[2] - box[0]) * sx / 2, (box[3] - box[1]) * sy / 2
    return np.array([cx - hw, cy - hh, cx + hw, cy + hh], np.float32)


class Reference(ByteTrackTracker):
    """The reference with its one fault mended: a sweep of forgotten ids that fell on a predicted
    frame ran while the tracks waiting for their second detection were out of the library's
    lists, so such a track lost its id (and its predicted box) and got a new one when detected
    again. camapp's ByteTrack has no such sweep (a forgotten track's row simply goes)."""

    _predicting = False

    def _prune(self, tracker: Any) -> None:
        if not self._predicting:
            super()._prune(tracker)

    def predict(self) -> Detections:
        self._predicting = True
        try:
            return super().predict()
        finally:
            self._predicting = False
