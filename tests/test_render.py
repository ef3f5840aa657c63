"""Rendering: boxes, tags and the heads-up line, legible and unclipped from 320x240 to 1080p."""

from __future__ import annotations

import math
from types import SimpleNamespace

import cv2
import numpy as np
import pytest

from camapp.render import annotate, class_color, draw_detections, hud_layout, hud_texts
from camapp.types import Detections

SIZES = [(320, 240), (1920, 1080)]


def stats(**kw):
    """The four fields of `camapp.pipeline.Stats` the heads-up line reads."""
    base = {"capture_fps": 29.97, "inference_fps": 12.34, "infer_ms": 8.41, "input_size": 300}
    return SimpleNamespace(**(base | kw))


def test_class_colors_are_stable_and_distinct():
    colors = [class_color(i) for i in range(90)]
    assert colors == [class_color(i) for i in range(90)]
    assert len(set(colors)) == 90


@pytest.mark.parametrize("w,h", SIZES)
def test_hud_fits_inside_frame_and_is_legible(w, h):
    img = np.zeros((h, w, 3), np.uint8)
    out = annotate(img, Detections.empty(), stats())
    lay = hud_layout(img.shape, stats())
    x0, y0, x1, y1 = lay.box
    assert 0 <= x0 < x1 < w and 0 <= y0 < y1 < h
    # The text's white pixels lie inside the band and clear of the image border: nothing clipped.
    ys, xs = np.nonzero(out.max(axis=2) > 200)
    assert len(xs) > 0
    assert xs.min() > 0 and xs.max() < w - 1 and ys.min() > 0 and ys.max() < h - 1
    assert x0 <= xs.min() and xs.max() <= x1 and y0 <= ys.min() and ys.max() <= y1
    (tw, th), _ = cv2.getTextSize(lay.text, cv2.FONT_HERSHEY_SIMPLEX, lay.font_scale, lay.thickness)
    assert xs.max() - xs.min() >= 0.9 * tw  # the whole line was drawn, not a cut-off start
    # Legible: capitals at least 8 px on 240 lines, and they grow with the frame.
    assert th >= 8
    assert th >= h * 0.03
    for part in ("12.3 fps", "8.4 ms", "300x300"):
        assert part in lay.text


def test_hud_says_detection_is_off_and_shows_no_stale_rate():
    texts = hud_texts(stats(detecting=False))
    assert texts == ["detection off | cam 30.0 fps", "detection off"]
    assert "detection off" not in hud_texts(stats(detecting=True))[0]


def test_hud_copes_with_missing_values_and_wh_sizes():
    texts = hud_texts(stats(inference_fps=math.nan, infer_ms=None, input_size=(320, 240)))
    assert "-- fps" in texts[0] and "-- ms" in texts[0] and "320x240" in texts[0]


@pytest.mark.parametrize("w,h", SIZES)
def test_tags_at_the_edges_are_not_clipped(w, h):
    img = np.zeros((h, w, 3), np.uint8)
    dets = Detections([[w - 20, 0, w - 1, 40]], [0.87], [17], ["x"] * 17 + ["cat"])
    out = draw_detections(img, dets)
    color = np.array(class_color(17), np.uint8)
    mask = np.all(out == color, axis=2)
    ys, xs = np.nonzero(mask)
    font_scale = max(0.33, h * 0.03 / 22.0)
    (tw, th), _ = cv2.getTextSize(
        "cat 87%", cv2.FONT_HERSHEY_SIMPLEX, font_scale, max(1, round(font_scale * 1.6))
    )
    # The tag was shifted left so its whole width is on the image, and it sits at the top edge.
    assert xs.max() - xs.min() >= tw
    assert ys.min() == 0
    assert np.count_nonzero(mask) > tw * th * 0.5


@pytest.mark.parametrize("w,h", SIZES)
def test_hud_never_hides_a_tag_at_the_top_edge(w, h):
    img = np.zeros((h, w, 3), np.uint8)
    dets = Detections([[0, 0, w // 2, h // 2]], [0.9], [0], ["person"])
    tagged = draw_detections(img, dets)
    out = annotate(img, dets, stats())
    x0, y0, x1, y1 = hud_layout(img.shape, stats()).box
    rows = tagged[:y0].astype(int)
    # Everything above the heads-up band, the tag included, is exactly what draw_detections drew.
    assert np.array_equal(out[:y0].astype(int), rows)
    assert y0 > h * 0.8  # the band hugs the bottom edge
    color = np.array(class_color(0), np.uint8)
    assert np.all(out[: h // 20] == color, axis=2).sum() > 20  # the tag fill is there, at the top


def test_annotate_real_detections_leaves_input_untouched(detector, image):
    img = image("grace_hopper.bmp")
    before = img.copy()
    dets = detector.detect(img)
    assert "person" in dets.labels
    out = annotate(img, dets, stats())
    assert np.array_equal(img, before)
    assert out.shape == img.shape and out is not img
    i = dets.labels.index("person")
    x0, y0, x1, y1 = (int(round(v)) for v in dets.boxes[i])
    color = np.array(class_color(int(dets.class_ids[i])), np.uint8)
    # The person's box edge is drawn in its class color.
    column = out[min(y1, img.shape[0] - 1) // 2 + y0 // 2, max(x0, 0)]
    assert np.abs(column.astype(int) - color).max() < 60
    # Without stats there is no heads-up band: the top-left corner keeps its brightness.
    plain = annotate(img, Detections.empty(), None)
    assert np.array_equal(plain, img)


def test_scores_read_as_percent_like_the_app():
    """Recordings, snapshots and `camapp detect` show 76%, as the app does (not 0.76)."""
    from camapp.render import score_text, tag_text

    assert score_text(0.756) == "76%" and score_text(1.0) == "100%" and score_text(0.004) == "0%"
    dets = Detections([[0, 0, 10, 10]], [0.756], [0], ["person"])
    assert tag_text(dets, 0) == "person 76%"
    unnamed = Detections([[0, 0, 10, 10]], [0.5], [3], [])
    assert tag_text(unnamed, 0) == "3 50%"


def test_the_drawn_tag_is_as_wide_as_the_percent_text():
    """What is burnt into a frame is the percent tag: the tag band's width matches its text."""
    h, w = 432, 768
    img = np.zeros((h, w, 3), np.uint8)
    dets = Detections([[200, 200, 400, 400]], [0.756], [0], ["person"])
    out = draw_detections(img, dets)
    mask = np.all(out == np.array(class_color(0), np.uint8), axis=2)
    font_scale = max(0.33, h * 0.03 / 22.0)
    thick = max(1, round(font_scale * 1.6))
    (tw_pct, _), _ = cv2.getTextSize("person 76%", cv2.FONT_HERSHEY_SIMPLEX, font_scale, thick)
    (tw_frac, _), _ = cv2.getTextSize("person 0.76", cv2.FONT_HERSHEY_SIMPLEX, font_scale, thick)
    assert tw_pct != tw_frac
    rows = mask[: 200 - 2]  # the tag band above the box
    ys, xs = np.nonzero(rows)
    assert xs.max() - xs.min() + 1 == tw_pct + 4 + 1


def test_tracked_tags_read_label_id_percent():
    from camapp.render import tag_text

    d = Detections([[0, 0, 10, 10]] * 3, [0.871, 0.5, 0.9], [0, 0, 0], ("person",), [3, -1, 4])
    assert [tag_text(d, i) for i in range(3)] == ["person #3 87%", "person 50%", "person #4 90%"]
    assert tag_text(Detections([[0, 0, 1, 1]], [0.87], [0], ("person",)), 0) == "person 87%"  # untracked


def test_tracks_overlay_draws_lines_zones_and_trails_only_where_they_are():
    from camapp.render import annotate
    from camapp.track import Line, TrackInfo, Zone

    img = np.zeros((200, 400, 3), np.uint8)
    info = TrackInfo(
        lines=(Line.parse("door:0.5,0,0.5,1"),),
        zones=(Zone.parse("desk:0.05,0.6,0.3,0.6,0.3,0.95,0.05,0.95"),),
        counts={"door": {"right person": 2}},
        trails={1: ((300.0, 20.0), (330.0, 40.0), (360.0, 60.0))},
        inside={"desk": (1,)},
    )
    out = annotate(img, Detections.empty(("person",)), None, info)
    assert img.max() == 0  # the input is untouched
    assert out[150, 200].any() and out[100, 200].any()  # the line runs down the middle
    assert out[190, 60].any() and not out[100, 60].any()  # the zone's bottom edge; nothing above it
    assert out[40, 330].any()  # the trail
    assert not out[100, 380].any()


def test_a_trail_takes_its_boxs_class_colour_and_fades_to_its_oldest_point():
    """As the desktop app paints it (tests/gui/test_video_view.py): recordings and the app match."""
    from camapp.render import class_color, draw_tracks
    from camapp.track import TrackInfo

    img = np.full((360, 640, 3), 40, np.uint8)
    dets = Detections([[500, 250, 600, 350]], [0.9], [0], ("person",), track_ids=np.array([7]))
    info = TrackInfo(trails={7: tuple((100.0 + 15 * i, 150.0) for i in range(31))})  # x 100 -> 550
    out = draw_tracks(img, info, detections=dets)
    person = np.array(class_color(0), int)

    def distance(x: int) -> int:  # from the class colour, best of the trail's rows
        return min(int(np.abs(out[y, x].astype(int) - person).sum()) for y in (149, 150, 151))

    assert distance(540) < 40  # the newest end: solid class colour
    assert distance(540) < distance(400) < distance(250) < distance(110)  # fading to the oldest
    assert distance(110) > 180 and not (out[100] != 40).any()  # nearly the background (219 away)
    untracked = draw_tracks(img, info)  # no box for the id: a colour of its own, as before
    assert np.abs(untracked[150, 540].astype(int) - np.array(class_color(7 * 7 + 3))).sum() < 40
