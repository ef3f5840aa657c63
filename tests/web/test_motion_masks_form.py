"""The Motion box's body, its masks and what the page shows of them, without a server (fast;
tests/web/test_browser_motion_masks.py draws them in a real browser on `camapp run --web`)."""

from __future__ import annotations

import pytest

from camapp.session import MotionSpec
from camapp.session.forms import MaskChange, apply_masks, drawn_mask, mask_args
from camapp.web.checks import BadRequest
from camapp.web.motion import apply_motion, page_masks, parse_motion

SQUARE = [[0.1, 0.1], [0.4, 0.1], [0.4, 0.4], [0.1, 0.4]]
CLI = MotionSpec.parse("regions", sensitivity=0.7, masks=["0.6,0.6,0.9,0.6,0.9,0.9"], overlay=True)


def test_the_body_becomes_a_change() -> None:
    assert parse_motion({"on": True}) == MaskChange(on=True)
    change = parse_motion({"mask": SQUARE})
    assert change.add == ((0.1, 0.1), (0.4, 0.1), (0.4, 0.4), (0.1, 0.4)) and change.masks is None
    assert parse_motion({"masks": []}) == MaskChange(masks=[])
    assert parse_motion({"masks": [SQUARE], "on": False}).masks == [change.add]


@pytest.mark.parametrize(
    "body, message",
    [
        ({}, "give one or more of 'on', 'mask', 'masks'"),
        ({"on": "yes"}, "'on' must be true or false"),
        ({"zone": SQUARE}, "unknown motion field 'zone'"),
        ({"mask": None}, "'mask' must be a list of [x, y] points"),
        ({"mask": "0,0,1,0,1,1"}, "'mask' must be a list of [x, y] points"),
        ({"mask": [[0, 0, 0], [1, 0], [1, 1]]}, "'mask' must be a list of [x, y] points"),
        ({"mask": [[float("inf"), 0], [1, 0], [1, 1]]}, "'mask' must be a list of [x, y] points"),
        ({"mask": [[0, 0]] * 65}, "'mask' must be a list of [x, y] points"),
        ({"masks": SQUARE}, "'masks' must be a list of [x, y] points"),
        ({"masks": "none"}, "'masks' must be a list of at most 32 masks"),
        ({"masks": [SQUARE] * 33}, "'masks' must be a list of at most 32 masks"),
    ],
)
def test_a_malformed_body_is_a_bad_request(body: dict, message: str) -> None:
    with pytest.raises(BadRequest) as exc:
        parse_motion(body)
    assert str(exc.value).startswith(message) and "\n" not in str(exc.value)


@pytest.mark.parametrize(
    "points, reason",
    [
        ([[0.1, 0.1], [0.5, 0.5]], "'mask': a mask needs at least 3 points, got 2"),
        ([[0.1, 0.1], [1.2, 0.1], [0.5, 0.5]], "'mask': coordinates must be between 0 and 1"),
        ([[-0.01, 0.1], [1, 0.1], [0.5, 0.5]], "'mask': coordinates must be between 0 and 1"),
        ([[0.1, 0.1], [0.3, 0.3], [0.5, 0.5]], "'mask': the polygon has no area"),
    ],
)
def test_a_polygon_that_is_no_mask_is_refused_with_its_reason(points, reason) -> None:
    with pytest.raises(BadRequest) as exc:
        apply_motion(CLI, parse_motion({"mask": points}))
    assert str(exc.value).startswith(reason)
    with pytest.raises(BadRequest, match="'masks': a mask needs"):
        apply_motion(CLI, parse_motion({"masks": [SQUARE, [[0.1, 0.1], [0.5, 0.5]]]}))


def test_corners_at_the_frame_edges_are_a_mask() -> None:
    whole = drawn_mask([[0, 0], [1, 0], [1, 1], [0, 1]])  # exactly on the range's ends
    assert whole.points == ((0.0, 0.0), (1.0, 0.0), (1.0, 1.0), (0.0, 1.0))


def test_masks_are_added_and_cleared_the_other_settings_kept() -> None:
    added = apply_motion(CLI, parse_motion({"mask": [[0.123456, 0.1], [0.4, 0.1], [0.4, 0.4]]}))
    assert len(added.masks) == 2 and added.masks[0] == CLI.masks[0]
    assert added.masks[1].points[0] == (0.1235, 0.1)  # short: 1e-4 of the frame
    assert (added.mode, added.sensitivity, added.overlay) == ("regions", 0.7, True)
    again = apply_masks(added, MaskChange(add=SQUARE))
    assert len(again.masks) == 3
    cleared = apply_motion(again, parse_motion({"masks": []}))
    assert cleared.masks == () and cleared.mode == "regions" and cleared.sensitivity == 0.7
    replaced = apply_motion(again, parse_motion({"masks": [SQUARE]}))
    assert [m.points for m in replaced.masks] == [drawn_mask(SQUARE).points]


def test_the_page_shows_the_points_and_the_command_line_that_keeps_them() -> None:
    assert page_masks(None) == {"points": [], "args": ""}
    spec = apply_masks(CLI, MaskChange(add=[[0.1, 0.2], [0.3, 0.2], [0.3, 0.45]]))
    shown = page_masks(spec)
    assert shown["points"] == [[[0.6, 0.6], [0.9, 0.6], [0.9, 0.9]], [[0.1, 0.2], [0.3, 0.2], [0.3, 0.45]]]
    assert shown["args"] == "--motion-mask 0.6,0.6,0.9,0.6,0.9,0.9 --motion-mask 0.1,0.2,0.3,0.2,0.3,0.45"
    assert mask_args(()) == ""
    # the text parses back to the same masks on the command line
    again = MotionSpec.parse(masks=[a for a in shown["args"].split() if a != "--motion-mask"])
    assert again.masks == spec.masks
