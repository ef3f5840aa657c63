import numpy as np
import pytest

from camapp.types import Detections


def make(n: int = 3) -> Detections:
    boxes = np.array([[0, 0, 10, 10], [5, 5, 20, 30], [1, 2, 3, 4]], np.float32)[:n]
    return Detections(boxes, np.array([0.9, 0.5, 0.2])[:n], np.array([0, 17, 0])[:n], ("person",) * 18)


def test_mask_filtering_keeps_arrays_parallel():
    d = make()
    kept = d[d.scores > 0.4]
    assert len(kept) == 2
    assert kept.class_ids.tolist() == [0, 17]
    assert kept.boxes[1].tolist() == [5, 5, 20, 30]
    assert isinstance(d[0], Detections) and len(d[-1]) == 1 and d[-1].scores[0] == pytest.approx(0.2)


def test_frozen_and_decoupled_from_caller_arrays():
    boxes = np.zeros((1, 4), np.float32)
    d = Detections(boxes, [1.0], [0])
    boxes[0, 2] = 99  # the caller's array stays theirs
    assert d.boxes[0, 2] == 0
    with pytest.raises(ValueError):
        d.boxes[0, 0] = 1
    with pytest.raises(AttributeError):
        d.scores = np.zeros(1)  # type: ignore[misc]


@pytest.mark.parametrize(
    "boxes,scores,ids",
    [
        (np.zeros((2, 4)), [1.0], [0, 0]),  # length mismatch
        (np.zeros((1, 3)), [1.0], [0]),  # not 4 coordinates
        ([[10, 0, 5, 5]], [1.0], [0]),  # x1 < x0
        ([[0, 0, np.nan, 5]], [1.0], [0]),
    ],
)
def test_validation_rejects_bad_arrays(boxes, scores, ids):
    with pytest.raises(ValueError):
        Detections(boxes, scores, ids)


def test_empty_and_labels():
    e = Detections.empty(("a",))
    assert len(e) == 0 and e.boxes.shape == (0, 4) and e.to_list() == []
    d = Detections([[0, 0, 1, 1]], [0.5], [3], ("a",))
    assert d.labels == ["3"]  # unknown id falls back to its number
    assert d.to_list() == [{"label": "3", "class_id": 3, "score": 0.5, "box": [0.0, 0.0, 1.0, 1.0]}]


def test_track_ids_follow_masks_and_reach_the_log_shape():
    d = Detections(
        make().boxes, make().scores, make().class_ids, make().names, [7, 8, 9], [False, True, False]
    )
    kept = d[d.scores > 0.4]
    assert kept.track_ids.tolist() == [7, 8] and kept.predicted.tolist() == [False, True]
    assert d[2].track_ids.tolist() == [9]
    rows = kept.to_list()
    assert rows[0]["track_id"] == 7 and "predicted" not in rows[0]
    assert rows[1]["track_id"] == 8 and rows[1]["predicted"] is True
    assert "track_id" not in make().to_list()[0]  # untracked detections keep their old shape
    with pytest.raises(ValueError):
        d.track_ids[0] = 1  # frozen like the other arrays


@pytest.mark.parametrize(
    "tracks,predicted",
    [([1, 2], None), ([1, 2, 3], [True]), (None, [True, False, True])],
)
def test_track_fields_are_validated(tracks, predicted):
    with pytest.raises(ValueError):
        Detections(make().boxes, make().scores, make().class_ids, (), tracks, predicted)


def test_of_arrays_is_the_constructor_without_its_copies():
    """What a tracker builds from a frame's own arrays: the same detections, frozen too."""
    d = make()
    ids = np.array([3, -1, 4], np.int64)
    fast = Detections.of_arrays(d.boxes, d.scores, d.class_ids, d.names, ids, np.zeros(3, bool))
    slow = Detections(d.boxes, d.scores, d.class_ids, d.names, ids, np.zeros(3, bool))
    assert fast.to_list() == slow.to_list() and fast.labels == slow.labels
    assert fast.boxes is d.boxes and fast[fast.track_ids > 0].track_ids.tolist() == [3, 4]
    with pytest.raises(ValueError):
        fast.track_ids[0] = 1
    with pytest.raises(AttributeError):
        fast.scores = np.zeros(3)  # type: ignore[misc]
