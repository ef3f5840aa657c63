"""`camapp bench-track`: greedy box matching (unit) and predicted-box quality on a real clip."""

import pytest
from conftest import BOTTLE_CLIP, need

from camapp.cli import main
from camapp.cli.bench_track import detect_all, greedy_matches, quality
from camapp.types import Detections


def test_greedy_matching_is_one_to_one_per_class_best_first():
    truth = Detections([[0, 0, 10, 10], [20, 0, 30, 10], [0, 0, 10, 10]], [1, 1, 1], [0, 0, 1])
    guess = Detections([[1, 0, 11, 10], [0, 0, 10, 10], [40, 40, 50, 50]], [1, 1, 1], [0, 0, 0])
    ious = greedy_matches(truth, guess)
    assert ious == [1.0]  # box 0 takes the exact guess; box 1 overlaps nothing; class 1 has no guess
    assert greedy_matches(truth, Detections.empty()) == []


@pytest.fixture(scope="module")
def bottle_frames(model_store):
    from camapp.detect import open_detector

    det = open_detector(threshold=0.25)  # the tracker's `low` for a 0.5 threshold, as bench-track
    det.classes = frozenset({43})  # bottle
    try:
        yield detect_all(str(need(BOTTLE_CLIP)), det, 300)
    finally:
        det.close()


def test_predicted_boxes_meet_the_target_at_every_third_frame(bottle_frames):
    q = quality(bottle_frames, 3, 30.0, 0.5)
    tracker, repeat = q["tracker"], q["repeat"]
    assert tracker["boxes"] > 300  # bottles on the frames between detections
    assert tracker["matched"] >= 0.90 and tracker["mean_iou"] >= 0.75, tracker
    assert repeat["boxes"] == tracker["boxes"]


def test_bench_track_prints_both_tables(model_store, capsys):
    rc = main(
        ["bench-track", "--source", str(need(BOTTLE_CLIP)), "--classes", "bottle", "--max-frames", "40"]
        + ["--every", "3", "--frames", "30", "--repeat", "1", "--objects", "5"]
    )
    out = capsys.readouterr().out
    assert rc == 0
    assert "| bottle-detection.mp4 | 3 |" in out and "tracking stage cost, 5 objects" in out
    assert "| median |" in out


def test_bench_track_rejects_an_unknown_class(model_store, capsys):
    assert main(["bench-track", "--source", str(need(BOTTLE_CLIP)), "--classes", "unicorn"]) == 2
    assert "unknown class 'unicorn'" in capsys.readouterr().err
