"""camapp's ByteTrack on boxes moved by hand (fast unit tests): the Kalman filter equals the
published one, boxes below the threshold continue a followed object but never start one, a track
is confirmed on its second detection, and a lost track is kept exactly as long as it should be."""

import importlib.util

import numpy as np
import pytest

from camapp.track import open_tracker
from camapp.track.bytetrack import kalman_correct, kalman_matrices, kalman_predict, kalman_start
from camapp.types import Detections

NAMES = ("person", "bicycle", "car")


def test_the_kalman_filter_equals_the_published_one_on_many_tracks_at_once():
    """supervision 0.23's filter (the published ByteTrack's, one track per call) as the reference."""
    pytest.importorskip("supervision", reason="supervision 0.23 (the test extra) is the reference")
    from supervision.tracker.byte_tracker.kalman_filter import KalmanFilter

    rng = np.random.default_rng(3)
    lib = KalmanFilter()
    z0 = rng.uniform([0, 0, 0.2, 20], [1000, 700, 2, 400], (50, 4))
    kf = kalman_start(z0)
    ref = [lib.initiate(z) for z in z0]
    for step in range(6):
        kalman_predict(kf)
        ref = [lib.predict(m, c) for m, c in ref]
        z = kf[:, 0] + rng.normal(0, [5, 5, 0.05, 5], (50, 4))
        if step % 2:  # a measurement every other frame: predictions pile up between
            kalman_correct(kf, z)
            ref = [lib.update(m, c, zi) for (m, c), zi in zip(ref, z)]
        mean, cov = kalman_matrices(kf)
        np.testing.assert_allclose(mean, [m for m, _ in ref], rtol=1e-9, atol=1e-9)
        np.testing.assert_allclose(cov, [c for _, c in ref], rtol=1e-9, atol=1e-9)


def test_the_kalman_filter_equals_the_matrix_formulas_track_by_track():
    """The elementwise filter against the textbook matrix formulas, one track at a time with a
    full 8x8 covariance, on random tracks and random sequences of predictions and corrections."""
    std_pos, std_vel = 1 / 20, 1 / 160
    f = np.eye(8)
    f[:4, 4:] = np.eye(4)
    h = np.eye(4, 8)

    def q(m):
        return np.diag(
            np.square(
                [std_pos * m[3], std_pos * m[3], 1e-2, std_pos * m[3]]
                + [std_vel * m[3], std_vel * m[3], 1e-5, std_vel * m[3]]
            )
        )

    def r(m):
        return np.diag(np.square([std_pos * m[3], std_pos * m[3], 1e-1, std_pos * m[3]]))

    rng = np.random.default_rng(7)
    z0 = rng.uniform([0, 0, 0.1, 5], [2000, 1000, 3, 900], (40, 4))
    kf = kalman_start(z0)
    ref = list(zip(*kalman_matrices(kf)))
    for _ in range(30):
        step = rng.random(len(kf)) < 0.5  # some tracks are corrected, the others only predicted
        kalman_predict(kf)
        ref = [(f @ m, f @ c @ f.T + q(m)) for m, c in ref]
        z = kf[:, 0] + rng.normal(0, [8, 8, 0.1, 8], (len(kf), 4))
        part = kf[step]
        kalman_correct(part, z[step])
        kf[step] = part
        for i in np.flatnonzero(step):
            m, c = ref[i]
            s = h @ c @ h.T + r(m)
            gain = c @ h.T @ np.linalg.inv(s)
            ref[i] = (m + gain @ (z[i] - h @ m), c - gain @ s @ gain.T)
        mean, cov = kalman_matrices(kf)
        np.testing.assert_allclose(mean, [m for m, _ in ref], rtol=1e-9, atol=1e-6)
        np.testing.assert_allclose(cov, [c for _, c in ref], rtol=1e-9, atol=1e-9)
    # the covariance keeps the shape the elementwise form relies on: nothing but the
    # position, velocity and cross terms of each coordinate
    shape = np.eye(8, dtype=bool) | np.eye(8, k=4, dtype=bool) | np.eye(8, k=-4, dtype=bool)
    assert all((c[~shape] == 0).all() for _, c in ref)


def box(i: int) -> list[float]:
    return [10 + 4 * i, 40, 40 + 4 * i, 100]


def test_a_low_box_continues_an_object_but_never_starts_one():
    tracker = open_tracker(fps=10, threshold=0.5)
    assert tracker.low == 0.25
    for i in range(3):
        out = tracker.update(Detections([box(i)], [0.8], [0], NAMES))
    assert out.track_ids.tolist() == [1]
    # the person's score dips below the threshold: the box stays, with its id; a low box
    # elsewhere (nothing followed there) is dropped
    out = tracker.update(Detections([box(3), [300, 300, 330, 360]], [0.3, 0.3], [0, 0], NAMES))
    assert out.track_ids.tolist() == [1] and out.boxes[0].tolist() == box(3)
    out = tracker.update(Detections([box(4)], [0.8], [0], NAMES))
    assert out.track_ids.tolist() == [1]
    assert len(tracker) == 1


def test_a_low_box_does_not_bring_a_lost_object_back_but_a_high_one_does():
    tracker = open_tracker(fps=10, threshold=0.5)
    for i in range(3):
        tracker.update(Detections([box(i)], [0.8], [0], NAMES))
    tracker.update(Detections.empty(NAMES))  # missed once: lost
    assert len(tracker.update(Detections([box(4)], [0.3], [0], NAMES))) == 0
    assert tracker.update(Detections([box(5)], [0.8], [0], NAMES)).track_ids.tolist() == [1]


def test_a_box_exactly_at_the_threshold_starts_an_object():
    tracker = open_tracker(fps=10, threshold=0.5)
    out = tracker.update(
        Detections(
            [box(0), [300, 300, 330, 360]], [0.5, np.nextafter(np.float32(0.5), np.float32(0))], [0, 0], NAMES
        )
    )
    assert out.track_ids.tolist() == [1] and out.scores.tolist() == [0.5]  # just below: not shown


def test_the_threshold_is_live():
    tracker = open_tracker(fps=10, threshold=0.5)
    assert len(tracker.update(Detections([box(0)], [0.4], [0], NAMES))) == 0
    tracker.threshold = 0.3
    assert tracker.low == pytest.approx(0.15)
    out = tracker.update(Detections([box(1)], [0.4], [0], NAMES))
    assert out.track_ids.tolist() == [1]


def test_a_low_box_of_a_class_not_followed_starts_nothing():
    tracker = open_tracker(fps=10, threshold=0.5)
    out = tracker.update(Detections([box(0), [300, 300, 330, 360]], [0.8, 0.3], [0, 2], NAMES))
    assert out.class_ids.tolist() == [0] and len(tracker) == 1


def test_a_track_is_confirmed_by_its_second_detection_and_a_flicker_is_dropped():
    tracker = open_tracker(fps=10, threshold=0.5)
    tracker.update(Detections([box(0)], [0.8], [0], NAMES))  # the very first frame: confirmed at once
    out = tracker.update(Detections([box(1), [300, 300, 330, 360]], [0.8, 0.9], [0, 0], NAMES))
    assert out.track_ids.tolist() == [1, 2]
    # the flicker is not there on the next frame: it goes at once, not after the lost buffer
    tracker.update(Detections([box(2)], [0.8], [0], NAMES))
    assert len(tracker) == 1
    # a new one detected twice stays, with the id it got on its first detection
    tracker.update(Detections([box(3), [300, 300, 330, 360]], [0.8, 0.9], [0, 0], NAMES))
    out = tracker.update(Detections([box(4), [301, 300, 331, 360]], [0.8, 0.9], [0, 0], NAMES))
    assert out.track_ids.tolist() == [1, 3] and len(tracker) == 2


@pytest.mark.parametrize("missed,same", [(11, True), (12, False)])
def test_a_lost_object_is_found_again_within_its_buffer_and_not_after(missed, same):
    """keep_s 1 at 10 fps: a buffer of 10 frames, checked one frame late as published, so an
    object missed on 11 frames keeps its id and one missed on 12 is a new object."""
    trackers = [open_tracker(fps=10, keep_s=1.0, threshold=0.5)]
    if importlib.util.find_spec("supervision") is not None:  # and the reference says the same
        from track.sv_reference import Reference

        trackers.append(Reference(fps=10, keep_s=1.0, threshold=0.5))
    for tracker in trackers:
        for _ in range(3):
            tracker.update(Detections([[100, 40, 130, 100]], [0.8], [0], NAMES))
        for _ in range(missed):
            tracker.update(Detections.empty(NAMES))
        out = tracker.update(Detections([[100, 40, 130, 100]], [0.8], [0], NAMES))
        assert out.track_ids.tolist() == ([1] if same else [2]), type(tracker)
    assert len(trackers[0]) == 1  # the old track was dropped, not kept beside the new one


def test_one_tracker_never_turns_a_person_into_a_car_on_the_same_spot():
    """All classes share one tracker: the same box of another class is another object (and
    predicted boxes stay where the objects are)."""
    tracker = open_tracker(fps=10, threshold=0.5)
    for i in range(3):
        person = tracker.update(Detections([box(i)], [0.8], [0], NAMES))
    car = tracker.update(Detections([box(3)], [0.8], [2], NAMES))
    assert person.track_ids.tolist() == [1] and car.track_ids.tolist() == [2]
    both = tracker.update(Detections([box(4), box(4)], [0.8, 0.7], [0, 2], NAMES))
    assert both.track_ids.tolist() == [1, 2]
    ahead = tracker.predict()
    assert sorted(ahead.track_ids.tolist()) == [1, 2] and ahead.predicted.all()
    np.testing.assert_allclose(ahead.boxes, [box(5), box(5)], atol=6)


def test_predicted_boxes_move_on_and_keep_the_detectors_shape():
    tracker = open_tracker(fps=10, threshold=0.5)
    for i in range(8):
        tracker.update(Detections([[10 + 10 * i, 40, 50 + 10 * i, 100]], [0.8], [0], NAMES))
    a, b = tracker.predict(), tracker.predict()
    assert a.track_ids.tolist() == b.track_ids.tolist() == [1]
    assert 85 < a.boxes[0, 0] < 95 and b.boxes[0, 0] > a.boxes[0, 0]  # about 10 px a frame
    np.testing.assert_allclose(b.boxes[0, 2:] - b.boxes[0, :2], [40, 60], atol=1)


def test_forgotten_tracks_are_dropped_even_when_detecting_every_third_frame():
    """A camera running for days: objects come and go; only the live ones are remembered."""
    tracker = open_tracker(fps=10, keep_s=0.5, threshold=0.5)
    seen = set()
    for i in range(600):
        if i % 3:
            tracker.predict()
            continue
        k = i // 30  # a new object every 30 frames, each in its own place
        x = 20 + (k % 10) * 60
        out = tracker.update(Detections([[x, 40, x + 30, 100]], [0.8], [0], NAMES))
        seen |= set(out.track_ids.tolist())
    assert len(seen) == 20  # 20 objects, 20 ids, never reused
    assert len(tracker) <= 2


def test_many_classes_stay_apart():
    names = tuple(f"c{i}" for i in range(200))
    tracker = open_tracker(fps=10, threshold=0.5)
    for i in range(4):
        out = tracker.update(Detections([box(i), box(i)], [0.8, 0.7], [3, 3 + 64], names))
    assert out.track_ids.tolist() == [1, 2]
    ahead = tracker.predict()
    assert sorted(ahead.class_ids.tolist()) == [3, 67]
    np.testing.assert_allclose(ahead.boxes, [box(4), box(4)], atol=2.5)


@pytest.mark.parametrize("bottom,tracks", [(20, 1), (20.01, 2)])
def test_a_second_box_on_a_placed_object_starts_nothing(bottom, tracks):
    """Two boxes at once on one object (the detector's wide and narrow box): the one that
    overlaps a box placed on this frame at IoU 0.5 or more starts no track (100/200: exactly
    0.5); a box of another class on the same spot is another object."""
    tracker = open_tracker(fps=10, threshold=0.5)
    boxes = [[0, 0, 10, 10], [0, 0, 10, bottom], [50, 0, 60, 10], [0, 0, 10, 10]]
    out = tracker.update(Detections(boxes, [0.9, 0.8, 0.7, 0.6], [0, 0, 0, 2], NAMES))
    assert len(tracker) == tracks + 2
    assert (out.track_ids[[0, 2, 3]] > 0).all() and (out.track_ids[1] > 0) == (tracks == 2)
    # the same against a followed object's box
    out = tracker.update(Detections(boxes[:2], [0.9, 0.95], [0, 0], NAMES))
    assert (out.track_ids > 0).sum() == tracks


@pytest.mark.parametrize("shape", [(1, 1), (1, 5), (5, 1)])
def test_one_track_or_one_box_is_assigned_without_the_solver_at_the_limit_too(shape):
    """A cost exactly at the limit is a match and the next float above it is not, as the
    solver's path decides; on random costs the shortcut picks what the solver picks."""
    from scipy.optimize import linear_sum_assignment

    from camapp.track.bytetrack import _assign

    limit = 0.5  # 1 - IoU for the second association: IoU exactly 0.5 matches
    above = np.nextafter(limit, 1.0)
    for at, want in ((limit, 1), (above, 0)):
        cost = np.full(shape, 0.9)
        cost.flat[len(cost.flat) // 2] = at
        r, c = _assign(cost, limit)
        assert len(r) == len(c) == want
        if want:
            assert cost[r[0], c[0]] == limit
    rng = np.random.default_rng(1)
    for _ in range(200):
        cost = rng.choice([0.2, 0.5, 0.7, 0.95], shape) + rng.choice([0, 1e-9], shape)
        r, c = _assign(cost, limit)
        clipped = np.where(cost > limit, limit + 1e-4, cost)
        rr, cc = linear_sum_assignment(clipped)
        ok = clipped[rr, cc] <= limit
        assert (r.tolist(), c.tolist()) == (rr[ok].tolist(), cc[ok].tolist())


@pytest.mark.parametrize("flat", [[500, 719.5, 560, 719.5], [640, 300, 640, 380], [700, 700, 700, 700]])
def test_a_box_with_no_height_or_width_neither_breaks_the_tracker_nor_steals_an_id(flat):
    """A box clipped flat at the frame's edge (no height), or one with no width or no area, once
    made the Kalman state NaN and the assignment raise from the next frame on, with two tracks."""
    tracker = open_tracker(fps=10, threshold=0.5)
    for i in range(6):
        people = [box(i), [300 + 4 * i, 200, 340 + 4 * i, 300]]
        out = tracker.update(Detections([*people, flat], [0.8, 0.8, 0.8], [0, 0, 0], NAMES))
        assert np.isfinite(out.boxes).all()
    assert out.track_ids[:2].tolist() == [1, 2]  # the people keep theirs
    out = tracker.predict()
    assert np.isfinite(out.boxes).all() and {1, 2} <= set(out.track_ids.tolist())
