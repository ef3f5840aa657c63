"""Motion regions: squares around merged motion boxes, the whole frame when they cover most
of it, and boxes from overlapping regions de-duplicated."""

import numpy as np

from camapp.motion.regions import dedupe, merge_boxes, shift, square_regions
from camapp.types import Detections

SHAPE = (1080, 1920, 3)


def test_merge_joins_touching_and_near_boxes_only():
    boxes = np.array([[0, 0, 10, 10], [12, 0, 20, 10], [100, 100, 110, 110]])
    assert merge_boxes(boxes).tolist() == [[0, 0, 10, 10], [12, 0, 20, 10], [100, 100, 110, 110]]
    assert merge_boxes(boxes, gap=2).tolist() == [[0, 0, 20, 10], [100, 100, 110, 110]]


def test_a_small_motion_gets_a_square_of_the_input_size_centred_on_it():
    (r,) = square_regions(np.array([[900, 500, 940, 560]]), SHAPE, 300)
    assert r[2] - r[0] == r[3] - r[1] == 300
    assert (r[0] + r[2]) / 2 == 920 and (r[1] + r[3]) / 2 == 530


def test_a_large_motion_gets_a_larger_square_and_one_near_an_edge_is_moved_inside():
    (big,) = square_regions(np.array([[100, 100, 500, 400]]), SHAPE, 300)
    assert big[2] - big[0] == big[3] - big[1] == 400  # the larger side
    (wide,) = square_regions(np.array([[100, 100, 500, 400]]), SHAPE, 300, margin=0.1)
    assert wide[2] - wide[0] == wide[3] - wide[1] == 440  # plus a margin, when asked
    (edge,) = square_regions(np.array([[1900, 1060, 1915, 1075]]), SHAPE, 300)
    assert edge == (1620, 780, 1920, 1080)


def test_two_distant_motions_get_two_squares_and_close_ones_one():
    far = square_regions(np.array([[100, 100, 150, 150], [1500, 800, 1550, 850]]), SHAPE, 300)
    assert far is not None and len(far) == 2
    near = square_regions(np.array([[100, 100, 150, 150], [260, 100, 300, 150]]), SHAPE, 300)
    assert near is not None and len(near) == 1


def test_the_whole_frame_when_regions_would_cover_most_of_it_or_cannot_be_square():
    spread = np.array([[x, y, x + 480, y + 480] for x in (0, 696, 1392) for y in (0, 600)])
    assert square_regions(spread, SHAPE, 300) is None  # six 480 px squares: 67% of the frame
    six = square_regions(spread, SHAPE, 300, cover=0.85)
    assert six is not None and len(six) == 6 and all(r[2] - r[0] == 480 for r in six)
    assert square_regions(np.array([[0, 0, 1500, 1000]]), SHAPE, 300) is None  # wider than tall frame
    assert square_regions(np.zeros((0, 4)), SHAPE, 300) is None


def test_shift_moves_boxes_by_the_region_corner():
    d = shift(Detections([[1, 2, 11, 22]], [0.9], [0]), (100, 200, 400, 500))
    assert d.boxes.tolist() == [[101, 202, 111, 222]]


def test_the_same_object_seen_in_two_regions_is_one_box_the_whole_one():
    names = ("person", "car")
    a = (0, 0, 300, 300)
    b = (200, 0, 500, 300)
    # a person at x 220-290: whole in both regions (slightly different boxes); a car cut by a's
    # right edge (x 280-300 in a) and whole in b (x 280-360)
    in_a = Detections([[220, 50, 290, 250], [280, 100, 300, 150]], [0.8, 0.9], [0, 1], names)
    in_b = Detections([[222, 52, 291, 251], [280, 100, 360, 150]], [0.7, 0.6], [0, 1], names)
    out = dedupe([(in_a, a), (in_b, b)], SHAPE)
    assert sorted(out.labels) == ["car", "person"]
    car = out.boxes[out.class_ids == 1][0].tolist()
    assert car == [280, 100, 360, 150]  # the whole car, although the cut one scored higher
    person = out.boxes[out.class_ids == 0][0].tolist()
    assert person == [220, 50, 290, 250]  # the higher score of two whole boxes


def test_different_classes_in_the_same_place_are_both_kept():
    names = ("person", "chair")
    d = Detections([[10, 10, 100, 200], [12, 12, 100, 200]], [0.9, 0.8], [0, 1], names)
    out = dedupe([(d, (0, 0, 300, 300)), (Detections.empty(names), (300, 0, 600, 300))], SHAPE)
    assert len(out) == 2


def test_with_an_aspect_a_wide_motion_gets_a_wide_crop_no_more_stretched_than_that():
    (r,) = square_regions(np.array([[600, 400, 920, 640]]), SHAPE, 300, margin=0.0, aspect=16 / 9)
    assert (r[2] - r[0], r[3] - r[1]) == (320, 300)  # the motion's width, the input size tall
    (wide,) = square_regions(np.array([[100, 500, 900, 520]]), SHAPE, 300, margin=0.0, aspect=16 / 9)
    assert (wide[2] - wide[0], wide[3] - wide[1]) == (800, 450)  # 16:9 at most
