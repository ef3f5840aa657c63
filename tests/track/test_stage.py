"""The tracking stage with the real ByteTrack on boxes moved by hand (fast unit tests)."""

import numpy as np
import pytest

from camapp.track import Line, TrackStage, Zone, open_tracker
from camapp.types import Detections, Frame

pytest.importorskip("scipy.optimize", reason="the track extra is not installed")
NAMES = ("person", "bicycle", "car")
IMAGE = np.zeros((100, 200, 3), np.uint8)


def frame(i: int) -> Frame:
    return Frame(IMAGE, 100.0 + i / 10, i, i / 10)


def walker(i: int, x0: float = 10, y: float = 40, cls: int = 0) -> list[float]:
    x = x0 + 8 * i
    return [x, y, x + 20, y + 40]


def test_ids_persist_counts_are_distinct_and_a_line_counts_once():
    events = []
    stage = TrackStage(
        open_tracker(fps=10),
        [Line.parse("mid:0.5,0,0.5,1")],
        [Zone.parse("right:0.6,0,1,0,1,1,0.6,1")],
        trail=5,
        on_event=events.append,
    )
    ids = set()
    for i in range(20):
        dets = Detections([walker(i), [150, 10, 170, 30]], [0.9, 0.8], [0, 2], NAMES)
        out, info = stage.process(frame(i), dets)
        ids |= {int(t) for t in out.track_ids if t >= 0}
    assert len(ids) == 2  # one person, one car, each with one id all the way
    assert stage.distinct() == {"person": 1, "car": 1}
    crosses = [e for e in events if e["event"] == "cross"]
    assert [(e["line"], e["direction"], e["label"]) for e in crosses] == [("mid", "right", "person")]
    assert stage.counts["mid"] == {"right person": 1}
    enters = [e for e in events if e["event"] == "enter"]
    assert {e["label"] for e in enters} == {"person", "car"}
    assert info.inside["right"] and len(info.trails) == 2 and all(len(p) <= 5 for p in info.trails.values())
    assert stage.summary()[0] in (
        "person: 1 distinct, car: 1 distinct",
        "car: 1 distinct, person: 1 distinct",
    )


def test_predicted_frames_move_boxes_on_and_keep_ids():
    stage = TrackStage(open_tracker(fps=10))
    for i in range(12):
        fresh = Detections([walker(i)], [0.9], [0], NAMES) if i % 3 == 0 or i < 2 else None
        out, info = stage.process(frame(i), fresh)
        if i > 2:
            assert len(out) == 1 and out.track_ids.tolist() == [1]
            assert info.predicted == (fresh is None) and bool(out.predicted[0]) == (fresh is None)
    assert out.boxes[0, 0] > walker(9)[0]  # frame 11 was predicted ahead of the last detection (9)


def test_an_object_that_leaves_exits_its_zone_with_its_dwell():
    events = []
    stage = TrackStage(
        open_tracker(fps=10), zones=[Zone.parse("all:0,0,1,0,1,1,0,1")], forget_s=0.5, on_event=events.append
    )
    for i in range(10):
        stage.process(frame(i), Detections([[50, 40, 70, 80]], [0.9], [0], NAMES))
    for i in range(10, 40):
        stage.process(frame(i), Detections.empty(NAMES))
    assert [e["event"] for e in events] == ["enter", "exit"]
    exits = events[1:]
    assert stage.close() == []  # nothing is left inside at the end
    assert stage.summary()[-1] == "zone all: 1 visits, 0.9 s on average"
    assert len(exits) == 1 and exits[0]["zone"] == "all" and exits[0]["dwell"] == pytest.approx(0.9, abs=0.11)


def climber(i: int, y0: float = 80, step: float = 6) -> list[float]:
    """A box walking up the 200x100 frame: its centre's y is y0 - step * i + 10."""
    y = y0 - step * i
    return [90, y, 110, y + 20]


def door_stage() -> tuple[TrackStage, list]:
    events: list = []
    return TrackStage(open_tracker(fps=10), [Line.parse("door:0,0.5,1,0.5")], on_event=events.append), events


def test_a_crossing_counts_from_boxes_at_the_threshold_only():
    """A faint box continuing an object moves its centre across the line: not counted (the legs
    of a person leaving); the same at the threshold is."""
    for score, counted in [(0.49, False), (0.5, True)]:
        stage, events = door_stage()
        for i in range(4):  # walking down: centre y 0.30, 0.36, 0.42, 0.48 (above the door)
            stage.process(frame(i), Detections([climber(-i, 20)], [0.9], [0], NAMES))
        out, _ = stage.process(frame(4), Detections([climber(-4, 20)], [score], [0], NAMES))  # 0.54
        assert out.track_ids.tolist() == [1]  # followed either way
        assert (stage.counts["door"] == {"down person": 1}) is counted, score


def test_an_object_first_seen_faintly_is_counted_from_where_it_came():
    """Detected below the threshold while it walks through the door, at the threshold only
    beyond it: its faint boxes tell where it came from, and the crossing counts once it is an
    object. Without the faint boxes (or with a gap of 3 frames in them) it does not."""
    for faint, counted in [(range(8), True), ((0, 1, 2), False)]:
        stage, events = door_stage()
        for i in range(8):  # centre y: 0.90, 0.84, ... 0.48: faint through the door
            dets = [climber(i)] if i in faint else []
            stage.process(frame(i), Detections(dets, [0.3] * len(dets), [0] * len(dets), NAMES))
        for i in range(8, 11):  # 0.42, 0.36, 0.30: at the threshold only beyond it
            out, _ = stage.process(frame(i), Detections([climber(i)], [0.8], [0], NAMES))
        assert out.track_ids.tolist() == [1]
        assert stage.counts["door"] == ({"up person": 1} if counted else {}), faint
        assert [e["track_id"] for e in events if e["event"] == "cross"] == ([1] if counted else [])
