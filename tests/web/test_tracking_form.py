"""The Tracking box's body and spec, without a server (fast; tests/web/test_tracking.py drives the
same through `camapp run --web` with the real model)."""

from __future__ import annotations

import pytest

from camapp.session import DRAWN_TRAIL as TRAIL
from camapp.session import TrackSpec
from camapp.session.forms import DrawnChange, for_session
from camapp.web.checks import BadRequest
from camapp.web.tracking import apply_change, page_status, parse_change

CLI = TrackSpec.parse(["door:0,0.65,1,0.65"], ["desk:0.6,0.1,0.9,0.1,0.9,0.4"], "0,0.05,1,1", detect_every=3)


def names(spec: TrackSpec) -> list[str]:
    return [r.name for r in spec.lines + spec.zones]


def test_the_body_becomes_points_of_a_change() -> None:
    change = parse_change({"on": True, "line": [[0.1, 0.5], [0.9, 0.5]], "zone": None, "trail": False})
    assert change == DrawnChange(on=True, line=((0.1, 0.5), (0.9, 0.5)), zone=(), trail=False)
    assert parse_change({"trail": True}) == DrawnChange(trail=True)
    assert parse_change({"line": [[0, 1], [1, 0]]}).line == ((0.0, 1.0), (1.0, 0.0))


@pytest.mark.parametrize(
    "body, message",
    [
        ({}, "give one or more"),
        ({"on": 1}, "'on' must be true or false"),
        ({"trail": "yes"}, "'trail' must be true or false"),
        ({"line": "0,0,1,1"}, "'line' must be a list of [x, y] points"),
        ({"line": [[0, 0, 0]]}, "'line' must be a list"),
        ({"line": [[True, 0], [1, 1]]}, "'line' must be a list"),
        ({"zone": [[float("nan"), 0], [1, 1], [0, 1]]}, "'zone' must be a list"),
        ({"zone": [[0, 0]] * 65}, "'zone' must be a list"),
        ({"line": [[10**400, 0], [1, 1]]}, "'line' must be a list"),  # too large for a float
        ({"zone": []}, "'zone' must be a list"),
        ({"roi": [0, 0, 1, 1]}, "unknown tracking field 'roi'"),
    ],
)
def test_a_malformed_body_is_a_bad_request(body: dict, message: str) -> None:
    with pytest.raises(BadRequest, match=message.replace("[", r"\[").replace("]", r"\]")):
        parse_change(body)


def test_the_page_changes_its_own_regions_and_keeps_the_command_lines() -> None:
    spec = apply_change(
        CLI, parse_change({"line": [[0.1, 0.5], [0.9, 0.5]], "zone": [[0, 0], [0.3, 0], [0, 0.3]]})
    )
    assert names(spec) == ["door", "line", "desk", "zone"]
    assert spec.roi == CLI.roi and spec.detect_every == 3 and spec.enabled
    moved = apply_change(spec, parse_change({"line": [[0.2, 0.2], [0.8, 0.8]]}))
    assert names(moved) == ["door", "line", "desk", "zone"] and moved.lines[1].a == (0.2, 0.2)
    cleared = apply_change(moved, parse_change({"line": None, "zone": None}))
    assert cleared == CLI  # Clear: exactly what the command line gave
    assert apply_change(CLI, parse_change({"trail": True})).trail == TRAIL
    assert apply_change(TrackSpec(trail=5), parse_change({"trail": True})).trail == 5  # a --trail stays
    assert apply_change(CLI, parse_change({"trail": False})).trail == 0


def test_off_keeps_the_form_and_sends_the_session_only_the_region() -> None:
    off = apply_change(CLI, parse_change({"on": False}))
    assert not off.enabled and names(off) == ["door", "desk"]  # remembered for on again
    assert for_session(off) == TrackSpec(enabled=False, roi=CLI.roi)
    assert for_session(apply_change(TrackSpec(enabled=False), parse_change({"on": False}))) is None
    assert for_session(apply_change(off, parse_change({"on": True}))) == CLI


@pytest.mark.parametrize(
    "body, message",
    [
        (
            {"zone": [[0.1, 0.1], [0.9, 0.9], [0.9, 0.1], [0.1, 0.9]]},
            "'zone': the polygon crosses itself (edges 1 and 3)",
        ),
        (
            {"line": [[0.1, 0.5], [1.5, 0.5]]},
            "'line': coordinates must be between 0 and 1 (fractions of the frame), got 1.5",
        ),
        ({"zone": [[0.1, 0.1], [0.5, 0.5]]}, "'zone': a polygon needs at least 3 points, got 2"),
        ({"line": [[0.5, 0.5], [0.5, 0.5]]}, "'line': its two points are the same"),
        ({"line": [[0.5, 0.5]]}, "'line': needs 2 points (its two ends), got 1"),
    ],
)
def test_a_region_camapp_cannot_use_names_the_bodys_field(body: dict, message: str) -> None:
    """The page's words for the field it sent, not the command line's flag (`--zone zone: ...`)."""
    with pytest.raises(BadRequest) as err:
        apply_change(CLI, parse_change(body))
    assert str(err.value) == message


def test_page_status_reads_the_sessions_tracking() -> None:
    spec = apply_change(CLI, parse_change({"line": [[0.1, 0.5], [0.9, 0.5]]}))
    t = spec.to_dict() | {
        "distinct": {"person": 2},
        "counts": {"door": {"up person": 2}, "line": {}},
        "occupancy": {"desk": {"inside": [3, 4], "visits": 1, "mean_dwell": 2.5}},
    }
    page = page_status(t)
    assert page["on"] and page["line"] == [[0.1, 0.5], [0.9, 0.5]] and page["zone"] is None
    assert page["others"] == ["desk", "door"] and page["detect_every"] == 3 and page["roi"] == [0, 0.05, 1, 1]
    assert page["occupancy"] == {"desk": {"inside": 2, "visits": 1, "dwell": 2.5}}
    assert page["counts"]["door"] == {"up person": 2}
    off = page_status(for_session(apply_change(CLI, parse_change({"on": False}))).to_dict())
    assert not off["on"] and off["line"] is None and off["counts"] == {} and off["roi"] == [0, 0.05, 1, 1]
    assert page_status(None) == page_status({}) and not page_status(None)["on"]
