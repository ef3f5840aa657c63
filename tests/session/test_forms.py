"""The drawing front-ends' shared rules: regions from points, errors as (field, name, reason),
the Tracking box's state as a spec, and recording names (no Qt, no server)."""

from __future__ import annotations

import re
import sys

import pytest

from camapp.errors import CamappError, FieldError
from camapp.session import DRAWN_LINE, DRAWN_TRAIL, DRAWN_ZONE, TrackSpec
from camapp.session.forms import (
    DrawnChange,
    apply_drawn,
    drawn_line,
    drawn_of,
    drawn_zone,
    for_session,
    recording_path,
)

SQUARE = ((0.2, 0.2), (0.6, 0.2), (0.6, 0.6), (0.2, 0.6))
CLI = TrackSpec.parse(["door:0,0.65,1,0.65"], ["desk:0.6,0.1,0.9,0.1,0.9,0.4"], "0,0.05,1,1", detect_every=3)


def test_points_make_the_same_regions_as_the_command_lines_text() -> None:
    assert drawn_line([(0.1, 0.5), (0.9, 0.5)]) == TrackSpec.parse([f"{DRAWN_LINE}:0.1,0.5,0.9,0.5"]).lines[0]
    text = ",".join(str(v) for p in SQUARE for v in p)
    assert drawn_zone(SQUARE) == TrackSpec.parse(zones=[f"{DRAWN_ZONE}:{text}"]).zones[0]


def test_the_frames_edges_are_inside_it_and_a_hair_beyond_is_not() -> None:
    assert drawn_line([(0.0, 0.0), (1.0, 1.0)]).b == (1.0, 1.0)
    with pytest.raises(FieldError, match="got 1.0001"):
        drawn_line([(0.0, 0.0), (1.0001, 1.0)])
    with pytest.raises(FieldError, match="got -0.0001"):
        drawn_zone([(0.0, 0.0), (1.0, 0.0), (-0.0001, 1.0)])


def test_a_line_as_long_as_the_minimum_is_kept_and_a_shorter_one_refused() -> None:
    assert drawn_line([(0.5, 0.5), (0.5, 0.51)]).length >= 0.01
    with pytest.raises(FieldError, match="its two points are the same"):
        drawn_line([(0.5, 0.5), (0.5, 0.5099)])


@pytest.mark.parametrize(
    "build, points, field, reason",
    [
        (drawn_line, [(0.5, 0.5)], "line", "needs 2 points (its two ends), got 1"),
        (drawn_line, [(0.5, 0.5), (0.5, 0.5)], "line", "its two points are the same"),
        (drawn_zone, [(0.1, 0.1), (0.5, 0.5)], "zone", "a polygon needs at least 3 points, got 2"),
        (
            drawn_zone,
            [(0.1, 0.1), (0.9, 0.9), (0.9, 0.1), (0.1, 0.9)],
            "zone",
            "the polygon crosses itself (edges 1 and 3)",
        ),
        (drawn_zone, [(0, 0), (0.5, 0.5), (1, 1)], "zone", "the polygon has no area"),
    ],
)
def test_a_bad_region_is_a_field_a_name_and_a_reason(build, points, field, reason) -> None:
    with pytest.raises(FieldError) as err:
        build(points)
    name = DRAWN_LINE if field == "line" else DRAWN_ZONE
    assert (err.value.field, err.value.name, err.value.reason) == (field, name, reason)
    # the command line's phrasing, for any handler that only knows CamappError (exit 2)
    assert isinstance(err.value, CamappError) and err.value.exit_code == 2
    assert str(err.value) == f"--{field} {name}: {reason}"


def test_the_command_lines_text_gives_the_same_fields() -> None:
    with pytest.raises(FieldError) as err:
        TrackSpec.parse(["door:0.1,0.5,0.9"])
    assert (err.value.field, err.value.name) == ("line", "door") and "needs 2 points" in err.value.reason
    with pytest.raises(FieldError) as err:
        TrackSpec.parse(roi="0.6,0.2,0.4,0.8")
    assert (err.value.field, err.value.name, str(err.value)) == (
        "roi",
        "",
        "--roi: empty region '0.6,0.2,0.4,0.8': x1 must exceed x0 and y1 exceed y0",
    )


def test_a_change_replaces_only_the_drawn_regions() -> None:
    spec = apply_drawn(CLI, DrawnChange(line=[(0.1, 0.5), (0.9, 0.5)], zone=SQUARE))
    assert [r.name for r in spec.lines + spec.zones] == ["door", DRAWN_LINE, "desk", DRAWN_ZONE]
    assert (spec.roi, spec.detect_every, spec.enabled) == (CLI.roi, 3, True)
    assert apply_drawn(spec, DrawnChange(line=(), zone=())) == CLI  # Clear: what the command line gave
    assert apply_drawn(spec, DrawnChange(on=False)).lines == spec.lines  # off keeps the form


def test_a_bad_change_leaves_the_form_as_it_was() -> None:
    with pytest.raises(FieldError):
        apply_drawn(CLI, DrawnChange(line=[(0.1, 0.5), (0.9, 0.5)], zone=[(0.1, 0.1), (0.5, 0.5)]))
    assert [r.name for r in CLI.lines + CLI.zones] == ["door", "desk"]  # frozen: nothing half-applied


def test_trails_take_the_drawn_length_unless_one_was_given() -> None:
    assert apply_drawn(TrackSpec(), DrawnChange(trail=True)).trail == DRAWN_TRAIL
    assert apply_drawn(TrackSpec(trail=5), DrawnChange(trail=True)).trail == 5
    assert apply_drawn(TrackSpec(trail=5), DrawnChange(trail=False)).trail == 0
    assert apply_drawn(TrackSpec(trail=5), DrawnChange(on=True)).trail == 5


def test_off_sends_the_session_only_the_detection_region() -> None:
    off = apply_drawn(CLI, DrawnChange(on=False))
    assert for_session(off) == TrackSpec(enabled=False, roi=CLI.roi)
    assert for_session(TrackSpec(enabled=False, lines=CLI.lines)) is None
    assert for_session(CLI) is CLI


def test_the_drawn_points_come_back_from_a_spec_or_a_status() -> None:
    spec = apply_drawn(CLI, DrawnChange(line=[(0.1, 0.5), (0.9, 0.5)], zone=SQUARE))
    line, zone = drawn_of(spec.to_dict())
    assert line == [[0.1, 0.5], [0.9, 0.5]] and zone == [list(p) for p in SQUARE]
    assert drawn_of(CLI.to_dict()) == (None, None)  # only the command line's regions
    assert drawn_of(apply_drawn(spec, DrawnChange(on=False)).to_dict()) == (None, None)
    assert drawn_of(None) == drawn_of({}) == (None, None)


def test_a_recording_is_stamped_and_never_takes_a_used_name(tmp_path) -> None:
    first = recording_path(tmp_path)
    assert re.fullmatch(r"camapp-\d{8}-\d{6}\.mp4", first.name) and first.parent == tmp_path
    first.write_bytes(b"taken")
    second = recording_path(tmp_path)
    # the same second: name-2; the next second: a new stamp; never the file that exists
    assert second != first and not second.exists()
    assert recording_path(tmp_path, segmented=True) == tmp_path / "camapp.mp4"  # segments number it


def test_the_shared_rules_need_neither_qt_nor_the_web_stack() -> None:
    import subprocess

    code = "import sys, camapp.session.forms; print(any(m.split('.')[0] in ('PyQt6', 'aiohttp') for m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"
