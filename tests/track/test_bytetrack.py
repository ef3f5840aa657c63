"""The ByteTrack tracker: its faster Kalman correction equals the library's, and boxes below the
threshold continue a followed object but never start one (fast unit tests, real supervision)."""

import numpy as np
import pytest

pytest.importorskip("supervision", reason="the track extra is not installed")

from supervision.tracker.byte_tracker.kalman_filter import KalmanFilter  # noqa: E402

from camapp.track import open_tracker  # noqa: E402
from camapp.track.bytetrack import _KalmanFilter  # noqa: E402
from camapp.types import Detections  # noqa: E402

NAMES = ("person", "bicycle", "car")


def test_the_correction_step_equals_the_librarys():
    rng = np.random.default_rng(3)
    lib, ours = KalmanFilter(), _KalmanFilter()
    for _ in range(50):
        mean, cov = lib.initiate(rng.uniform([0, 0, 0.2, 20], [1000, 700, 2, 400]))
        for _ in range(rng.integers(1, 5)):
            mean, cov = lib.predict(mean, cov)
        z = mean[:4] + rng.normal(0, [5, 5, 0.05, 5])
        (m0, c0), (m1, c1) = lib.update(mean, cov, z), ours.update(mean, cov, z)
        np.testing.assert_allclose(m1, m0, rtol=0, atol=1e-9)
        np.testing.assert_allclose(c1, c0, rtol=1e-9, atol=1e-9)


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


def test_a_low_box_of_a_class_not_followed_never_reaches_the_library():
    tracker = open_tracker(fps=10, threshold=0.5)
    out = tracker.update(Detections([box(0), [300, 300, 330, 360]], [0.8, 0.3], [0, 2], NAMES))
    assert out.class_ids.tolist() == [0]
    assert [int(t.class_ids) for t in tracker._tracker.tracked_tracks] == [0]


def test_one_tracker_never_turns_a_person_into_a_car_on_the_same_spot():
    """All classes share one ByteTrack, each in its own plane: the same box of another class is
    another object (and the planes do not move predicted boxes)."""
    tracker = open_tracker(fps=10, threshold=0.5)
    for i in range(3):
        person = tracker.update(Detections([box(i)], [0.8], [0], NAMES))
    car = tracker.update(Detections([box(3)], [0.8], [2], NAMES))
    assert person.track_ids.tolist() == [1] and car.track_ids.tolist() == [2]
    both = tracker.update(Detections([box(4), box(4)], [0.8, 0.7], [0, 2], NAMES))
    assert both.track_ids.tolist() == [1, 2]
    ahead = tracker.predict()
    assert sorted(ahead.track_ids.tolist()) == [1, 2]
    np.testing.assert_allclose(ahead.boxes, [box(5), box(5)], atol=6)  # source pixels, not a plane away


def test_forgotten_tracks_leave_no_ids_or_anchors_behind_even_when_detecting_every_third_frame():
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
    assert len(tracker._ids) <= 2 and len(tracker._anchors) <= 2


def test_classes_far_apart_in_the_grid_of_planes_stay_apart_and_in_source_pixels():
    names = tuple(f"c{i}" for i in range(200))
    tracker = open_tracker(fps=10, threshold=0.5)
    for i in range(4):
        out = tracker.update(Detections([box(i), box(i)], [0.8, 0.7], [3, 3 + 64], names))
    assert out.track_ids.tolist() == [1, 2]
    ahead = tracker.predict()
    assert sorted(ahead.class_ids.tolist()) == [3, 67]
    np.testing.assert_allclose(ahead.boxes, [box(4), box(4)], atol=2.5)
