"""ObjectWatcher: objects' start / update / end, with and without tracking; boundaries; the person clip."""

from __future__ import annotations

import json

import cv2
import numpy as np
import pytest
from conftest import PERSON_CLIP, need

from camapp.pipeline.objects import END, START, UPDATE, ObjectWatcher
from camapp.track.base import TrackInfo
from camapp.types import Detections, Frame

NAMES = ("person", "dog", "cat")
IMAGE = np.zeros((100, 200, 3), np.uint8)


def frame(i: int, fps: float = 10.0) -> Frame:
    return Frame(IMAGE, timestamp=100.0 + i / fps, index=i, media_time=i / fps)


def dets(*boxes, tracks=None, predicted=None) -> Detections:
    """(label, score) or (label, score, x0) per box."""
    rows = [(NAMES.index(b[0]), b[1], b[2] if len(b) > 2 else 10.0) for b in boxes]
    return Detections(
        [[x, 10, x + 20, 40] for _, _, x in rows] or np.zeros((0, 4)),
        [s for _, s, _ in rows],
        [c for c, _, _ in rows],
        NAMES,
        track_ids=tracks,
        predicted=predicted,
    )


def run(watcher, seq, **kw):
    """Feed (frame index, detections[, TrackInfo]) items; [(type, id, label, t)] of the events."""
    out = []
    for item in seq:
        i, d = item[0], item[1]
        info = watcher.frame(frame(i, **kw), d, item[2] if len(item) > 2 else None)
        out += [(e.type, e.id, e.label, round(e.t, 4)) for e in info.events]
    return out


def test_a_sighting_starts_on_sight_and_ends_exactly_linger_after_its_last_frame():
    w = ObjectWatcher(linger=1.5)
    seq = [(0, dets())] + [(i, dets(("person", 0.6))) for i in (1, 2)]
    seq += [(i, dets()) for i in range(3, 18)]
    got = run(w, seq)
    # last seen at frame 2 (0.2 s): at 1.6 s it has been gone 1.4 s (open), at 1.7 s exactly 1.5 s (ended)
    assert got == [(START, 1, "person", 0.1), (END, 1, "person", 1.7)]
    assert w.open == []


def test_a_sighting_that_comes_back_inside_linger_is_the_same_object():
    w = ObjectWatcher(linger=1.0)
    seq = [(0, dets(("person", 0.5)))] + [(i, dets()) for i in range(1, 10)]  # gone 0.9 s
    seq += [(10, dets(("person", 0.7)))] + [(i, dets()) for i in range(11, 21)]  # gone 1.0 s at 2.0
    got = run(w, seq)
    assert got == [(START, 1, "person", 0.0), (UPDATE, 1, "person", 1.0), (END, 1, "person", 2.0)]


def test_updates_only_on_a_better_score_and_end_carries_the_best_box():
    w = ObjectWatcher(linger=0.5)
    scores = [0.5, 0.8, 0.6, 0.9, 0.7]
    events = []
    for i, s in enumerate(scores):
        events += w.frame(frame(i), dets(("dog", s, 10.0 * i))).events
    for i in range(5, 11):
        events += w.frame(frame(i), dets()).events
    assert [(e.type, e.t) for e in events] == [(START, 0.0), (UPDATE, 0.1), (UPDATE, 0.3), (END, 0.9)]
    end = events[-1]
    assert end.top_score == pytest.approx(0.9) and end.top_box[0] == 30.0  # the frame of 0.9
    assert end.score == pytest.approx(0.7) and end.box[0] == 40.0  # its last sighting
    assert end.start == 0.0 and end.last_seen == pytest.approx(0.4) and end.duration == pytest.approx(0.4)
    assert end.track_id is None and end.zones == () and end.frame == 9
    d = end.to_dict()
    assert json.loads(json.dumps(d)) == d and d["type"] == "end" and d["box"] == [40.0, 10.0, 60.0, 40.0]


def test_one_sighting_per_label_with_its_best_box():
    w = ObjectWatcher(linger=1.0)
    info = w.frame(frame(0), dets(("person", 0.4, 0.0), ("dog", 0.9), ("person", 0.7, 50.0)))
    assert [(e.type, e.id, e.label) for e in info.events] == [(START, 1, "person"), (START, 2, "dog")]
    assert info.events[0].score == pytest.approx(0.7) and info.events[0].box[0] == 50.0
    assert info.linger == 1.0 and sorted(w.open) == [1, 2]


def test_tracked_objects_start_on_their_second_detection_and_predictions_keep_them():
    w = ObjectWatcher(linger=1.0)
    seq = [
        (0, dets(("person", 0.8), tracks=[4])),
        (1, dets(("person", 0.7), ("person", 0.6, 80.0), tracks=[4, 5])),  # 4 starts; 5 seen once
        (2, dets(("person", 0.7), tracks=[4], predicted=[True])),  # predicted: present, no update
    ]
    seq += [(i, dets(("person", 0.7), tracks=[4], predicted=[True])) for i in range(3, 12)]
    seq += [(i, dets(tracks=[])) for i in range(12, 22)]  # 4 gone from 1.1 s: ended at 2.1 s
    got = run(w, seq)
    # track 5 was detected once: it never started, and it leaves without an end
    assert got == [(START, 1, "person", 0.1), (END, 1, "person", 2.1)]


def test_tracked_zone_and_line_events_are_updates():
    w = ObjectWatcher(linger=1.0)
    enter = {"event": "enter", "zone": "desk", "track_id": 3, "label": "person", "t": 0.2}
    cross = {"event": "cross", "line": "door", "direction": "up", "track_id": 3, "label": "person", "t": 0.3}
    leave = {"event": "exit", "zone": "desk", "track_id": 3, "label": "person", "t": 0.4, "dwell": 0.2}
    seen = [w.frame(frame(i), dets(("person", 0.5), tracks=[3])) for i in (0, 1)]
    assert [e.type for e in seen[1].events] == [START]
    got = []
    for i, event in ((2, enter), (3, cross), (4, leave)):
        got += w.frame(frame(i), dets(("person", 0.5), tracks=[3]), TrackInfo(events=(event,))).events
    assert [(e.type, e.zones, e.entered, e.crossed) for e in got] == [
        (UPDATE, ("desk",), ("desk",), ()),
        (UPDATE, ("desk",), ("desk",), ("door up",)),
        (UPDATE, (), ("desk",), ("door up",)),
    ]
    assert got[0].track_id == 3 and got[0].id == 1


def test_switching_tracking_on_ends_the_sightings_and_close_ends_the_rest():
    w = ObjectWatcher(linger=5.0)
    assert [e.type for e in w.frame(frame(0), dets(("cat", 0.9))).events] == [START]
    switched = w.frame(frame(1), dets(("cat", 0.9), tracks=[1])).events
    assert [(e.type, e.id, e.track_id) for e in switched] == [(END, 1, None)]
    started = w.frame(frame(2), dets(("cat", 0.9), tracks=[1])).events
    assert [(e.type, e.id, e.track_id) for e in started] == [(START, 2, 1)]
    closed = w.close()
    assert [(e.type, e.id, e.last_seen) for e in closed] == [(END, 2, pytest.approx(0.2))]
    assert w.open == [] and w.close() == []


def test_a_looping_file_keeps_time_going_forward():
    w = ObjectWatcher(linger=0.25)
    times = []
    for i in (0, 1, 2, 0, 1):  # the file starts over after frame 2
        times += [e.t for e in w.frame(frame(i), dets(("dog", 0.5 + i / 10))).events]
    t = [round(x, 4) for x in times]
    assert t == sorted(t) and t[0] == 0.0
    assert w.frame(frame(2), dets()).events == ()  # 0.1 s after the last sighting: still open


def test_linger_must_not_be_negative():
    with pytest.raises(ValueError, match="negative"):
        ObjectWatcher(linger=-1)


def sightings_by_rule(results, label, post):
    """(start, end) per sighting straight from the clip rule: start on sight, end `post` s after
    the last sighting (the end event comes on the first frame that far from it)."""
    out, start, last = [], None, None
    for t, labels in results:
        if label in labels:
            start = t if start is None else start
            last = t
        if start is not None and t - last >= post - 1e-9:
            out.append((start, last))
            start = None
    return out + ([(start, last)] if start is not None else [])  # open when the run ends


@pytest.fixture(scope="module")
def person_labels(model_store):
    """Real detections for the first 450 frames (45 s) of the person clip: (frame, detections)."""
    from camapp.detect import open_detector

    cap = cv2.VideoCapture(str(need(PERSON_CLIP)))
    det = open_detector(threshold=0.4)
    out = []
    try:
        for i in range(450):
            ok, img = cap.read()
            assert ok
            f = Frame(img, 100.0 + i / 10, i, media_time=i / 10)
            out.append((f, det.detect(img)))
    finally:
        cap.release()
        det.close()
    return out


@pytest.mark.parametrize("post", [1.5, 3.0])
def test_person_clip_sightings_follow_the_post_roll_rule(person_labels, post):
    w = ObjectWatcher(linger=post)
    events = [e for f, d in person_labels for e in w.frame(f, d).events]
    events = [e for e in events + w.close() if e.label == "person"]
    want = sightings_by_rule([(f.media_time, set(d.labels)) for f, d in person_labels], "person", post)
    assert len(want) >= 2, want  # people come and go
    starts = [e for e in events if e.type == START]
    ends = [e for e in events if e.type == END]
    assert [(round(e.start, 3), round(e.last_seen, 3)) for e in ends] == [
        (round(a, 3), round(b, 3)) for a, b in want
    ]
    assert [e.id for e in starts] == [e.id for e in ends]  # each one started, then ended, in turn
    for e in ends[:-1]:  # the end comes on the first frame `post` s after the last sighting
        assert e.t - e.last_seen == pytest.approx(post, abs=1e-6)
    for e in ends:
        assert 0.4 <= e.top_score <= 1.0 and e.top_box[2] > e.top_box[0]
