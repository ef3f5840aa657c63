"""Lines, zones and the ROI: parsing, validation and the crossing geometry."""

import numpy as np
import pytest

from camapp.track.regions import Line, Roi, Zone, segments_cross
from camapp.types import Detections


@pytest.mark.parametrize(
    "parse,text,reason",
    [
        (Line.parse, "door:0.1,0.5,0.9", "needs 2 points"),
        (Line.parse, "door:0.1,0.5,1.2,0.5", "between 0 and 1"),
        (Line.parse, "door:0.5,0.5,0.5,0.5", "the same"),
        (Line.parse, "0.1,0.5,0.9,0.5", "NAME:"),
        (Zone.parse, "desk:0.1,0.1,0.5,0.1", "at least 3 points"),
        (Zone.parse, "desk:0.1,0.1,0.5,0.1,0.5", "odd count"),
        (Zone.parse, "desk:0,0,1,1,1,0,0,1", "crosses itself"),
        (Zone.parse, "desk:0,0,-0.1,1,1,1", "between 0 and 1"),
        (Zone.parse, "desk:0,0,0.5,0.5,1,1", "no area"),
        (Roi.parse, "0.5,0.2,0.5,0.8", "empty region"),
        (Roi.parse, "0.6,0.2,0.4,0.8", "empty region"),
        (Roi.parse, "0.1,0.2,nan,0.8", "between 0 and 1"),
        (Roi.parse, "a,b,c,d", "not a comma-separated list"),
    ],
)
def test_bad_regions_say_why(parse, text, reason):
    with pytest.raises(ValueError, match=reason):
        parse(text)


def test_a_square_zone_contains_its_inside_only():
    z = Zone.parse("desk:0.2,0.2,0.6,0.2,0.6,0.6,0.2,0.6")
    assert z.contains((0.4, 0.4)) and z.contains((0.2, 0.3))  # the edge counts as inside
    assert not z.contains((0.7, 0.4)) and not z.contains((0.1, 0.1))


@pytest.mark.parametrize(
    "spec,before,after,direction",
    [
        ("v:0.5,0,0.5,1", (0.4, 0.5), (0.6, 0.5), "right"),
        ("v:0.5,0,0.5,1", (0.6, 0.5), (0.4, 0.5), "left"),
        ("v:0.5,1,0.5,0", (0.4, 0.5), (0.6, 0.5), "right"),  # the drawing order does not matter
        ("h:0,0.5,1,0.5", (0.5, 0.6), (0.5, 0.4), "up"),
        ("h:1,0.5,0,0.5", (0.5, 0.4), (0.5, 0.6), "down"),
    ],
)
def test_crossings_are_named_by_the_motion(spec, before, after, direction):
    line = Line.parse(spec)
    assert line.crossing(line.side(before), before, after) == direction


def test_no_crossing_beside_the_segment_or_on_the_line():
    line = Line.parse("short:0.4,0.5,0.6,0.5")
    assert line.crossing(line.side((0.9, 0.6)), (0.9, 0.6), (0.9, 0.4)) is None  # past its end
    assert line.side((0.5, 0.505)) == 0  # within the margin: on neither side
    assert line.crossing(1, (0.5, 0.6), (0.5, 0.505)) is None


def test_roi_crops_and_maps_boxes_back():
    roi = Roi.parse("0.25,0.5,0.75,1")
    image = np.zeros((100, 200, 3), np.uint8)
    assert roi.crop(image).shape == (50, 100, 3)
    d = roi.to_source(Detections([[0, 0, 10, 20]], [0.9], [0]), image.shape)
    assert d.boxes.tolist() == [[50, 50, 60, 70]]


def test_a_u_shaped_zone_with_collinear_edges_is_not_self_crossing():
    """The two feet of a U lie on one line: collinear edges that do not touch cross nothing (a
    test that touching counted as crossing would refuse this valid zone)."""
    u = Zone.parse("u:0.1,0.1,0.3,0.1,0.3,0.7,0.7,0.7,0.7,0.1,0.9,0.1,0.9,0.9,0.1,0.9")
    assert u.contains((0.5, 0.8)) and u.contains((0.2, 0.3)) and u.contains((0.8, 0.3))
    assert not u.contains((0.5, 0.3))  # the notch between the feet


@pytest.mark.parametrize(
    "p,q,r,s,crossing",
    [
        ((0, 0), (1, 1), (0, 1), (1, 0), True),  # an X
        ((0.1, 0.1), (0.3, 0.1), (0.7, 0.1), (0.9, 0.1), False),  # collinear, apart
        ((0, 0), (1, 0), (1, 0), (1, 1), False),  # touching at an end
        ((0, 0), (1, 0), (0.5, 0), (0.5, 1), False),  # an end on the other segment (a T)
        ((0.5, 0), (0.5, 1), (0, 0), (1, 0), False),  # the same T, the other way round
        ((0, 0), (1, 0), (0.5, 0.1), (0.5, 1), False),  # short of it
    ],
)
def test_segments_cross_only_properly(p, q, r, s, crossing):
    assert segments_cross(p, q, r, s) is crossing
