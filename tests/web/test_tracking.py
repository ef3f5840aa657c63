"""The page's Tracking control over HTTP against `camapp run --web --track` with the real model on
the shared person clip: on/off, the page's line and zone, trails, what the command line gave is
kept, bad input is a 400 with the region's one-line message, and the guard holds."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from web.client import Web
from web.conftest import running

PASSWORD = "tracking-test-password"
DOOR = "door:0,0.65,1,0.65"  # people walk up through it (tests/session/test_tracking.py)
ROI = [0.0, 0.05, 1.0, 1.0]
LINE = [[0.05, 0.65], [0.95, 0.65]]
ZONE = [[0.4, 0.1], [0.7, 0.1], [0.7, 0.9], [0.4, 0.9]]


@pytest.fixture(scope="module")
def tracked(model_store: Path, tmp_path_factory: pytest.TempPathFactory):
    folder = tmp_path_factory.mktemp("web-tracking")
    args = ["--web-password", PASSWORD, "--track", "--line", DOOR, "--roi", ",".join(map(str, ROI))]
    with running(model_store, folder, *args, "--detect-every", "2", key=PASSWORD) as web:
        yield web


def regions(t: dict) -> dict:
    return {"line": t["line"], "zone": t["zone"], "others": t["others"]}


def close(points: list, expected: list) -> bool:
    return len(points) == len(expected) and all(
        abs(a - b) < 1e-6 for p, q in zip(points, expected, strict=True) for a, b in zip(p, q, strict=True)
    )


def test_the_command_lines_tracking_shows_with_its_counts(tracked: Web) -> None:
    t = tracked.status()["tracking"]
    assert t["on"] and t["roi"] == ROI and t["detect_every"] == 2
    assert regions(t) == {"line": None, "zone": None, "others": ["door"]}
    assert set(t["counts"]) == {"door"} and isinstance(t["distinct"], dict)


def test_off_and_on_keep_the_command_lines_region_roi_and_detect_every(tracked: Web) -> None:
    t = tracked.post("tracking", {"on": False})["tracking"]
    assert not t["on"] and t["counts"] == {} and t["others"] == []
    assert t["roi"] == ROI  # the detection region still applies with the tracker off
    frames = tracked.status()["frames"]
    tracked.wait_status(lambda s: s["frames"] > frames)  # live: the video goes on
    t = tracked.post("tracking", {"on": True})["tracking"]
    assert t["on"] and t["roi"] == ROI and t["detect_every"] == 2 and t["others"] == ["door"]


def test_the_pages_line_zone_and_trails_are_added_to_what_the_command_line_gave(tracked: Web) -> None:
    t = tracked.post("tracking", {"line": LINE})["tracking"]
    assert close(t["line"], LINE) and t["others"] == ["door"] and set(t["counts"]) == {"door", "line"}
    t = tracked.post("tracking", {"zone": ZONE})["tracking"]
    assert close(t["zone"], ZONE) and close(t["line"], LINE)
    assert t["occupancy"]["zone"]["visits"] >= 0 and isinstance(t["occupancy"]["zone"]["inside"], int)
    assert tracked.post("tracking", {"trail": True})["tracking"]["trail"] == 30
    moved = [[0.1, 0.5], [0.9, 0.55]]
    t = tracked.post("tracking", {"line": moved})["tracking"]  # a new line replaces the page's line
    assert close(t["line"], moved) and close(t["zone"], ZONE) and t["trail"] == 30
    assert t["roi"] == ROI and t["detect_every"] == 2
    # off and on again: the page's regions come back with the command line's
    tracked.post("tracking", {"on": False})
    t = tracked.post("tracking", {"on": True})["tracking"]
    assert close(t["line"], moved) and close(t["zone"], ZONE) and t["others"] == ["door"]
    # Clear removes the page's line and zone only
    t = tracked.post("tracking", {"line": None, "zone": None, "trail": False})["tracking"]
    assert regions(t) == {"line": None, "zone": None, "others": ["door"]} and t["trail"] == 0
    assert t["roi"] == ROI and t["detect_every"] == 2


def test_the_door_line_counts_people_through_the_page(tracked: Web) -> None:
    s = tracked.wait_status(lambda s: sum(s["tracking"]["counts"]["door"].values()) > 0, timeout=120)
    assert any(label.endswith("person") for label in s["tracking"]["counts"]["door"])
    assert s["tracking"]["distinct"].get("person", 0) >= 1


@pytest.mark.parametrize(
    "body, message",
    [
        ({"zone": [[0.1, 0.1], [0.9, 0.9], [0.9, 0.1], [0.1, 0.9]]}, "'zone': the polygon crosses itself"),
        ({"line": [[0.1, 0.5], [1.5, 0.5]]}, "'line': coordinates must be between 0 and 1"),
        ({"zone": [[0.1, 0.1], [0.5, 0.5]]}, "'zone': a polygon needs at least 3 points"),
        ({"line": [[0.1, 0.5]]}, "'line': needs 2 points"),
        ({"line": [[0.5, 0.5], [0.5, 0.5]]}, "'line': its two points are the same"),
        ({"line": [[0.1, "a"], [0.5, 0.5]]}, "'line' must be a list of [x, y] points"),
        ({"zone": [[0.1, 0.1]] * 65}, "'zone' must be a list of [x, y] points"),
        ({"on": "yes"}, "'on' must be true or false"),
        ({"trail": 30}, "'trail' must be true or false"),
        ({"roi": [0, 0, 1, 1]}, "unknown tracking field 'roi'"),
        ({}, "give one or more of 'on', 'line', 'zone', 'trail'"),
    ],
)
def test_bad_input_is_a_400_with_one_line_and_changes_nothing(tracked: Web, body: dict, message: str) -> None:
    before = tracked.status()["tracking"]
    text = tracked.post("tracking", body, expect=400)
    assert text.startswith("bad request: ") and message in text and text.count("\n") == 1, text
    assert "--line" not in text and "--zone" not in text  # the page's field, not the command line's flag
    assert "Traceback" not in text
    after = tracked.status()["tracking"]
    assert regions(after) == regions(before) and after["on"] == before["on"]


def test_a_json_nan_is_refused(tracked: Web) -> None:
    code, body, _ = tracked.request(
        "POST",
        "/api/tracking",
        b'{"line": [[NaN, 0.5], [0.5, 0.5]]}',
        {"Content-Type": "application/json", "X-Camapp-Key": PASSWORD},
    )
    assert code == 400 and b"must be a list of [x, y] points" in body


@pytest.mark.parametrize(
    "headers, code",
    [
        ({"Content-Type": "application/json"}, 403),  # no key header: what a plain form post sends
        ({"Content-Type": "application/json", "X-Camapp-Key": "wrong"}, 401),
        (
            {"Content-Type": "application/json", "X-Camapp-Key": PASSWORD, "Origin": "http://evil.example"},
            403,
        ),
        ({"Content-Type": "application/json", "X-Camapp-Key": PASSWORD, "Sec-Fetch-Site": "cross-site"}, 403),
    ],
)
def test_the_control_needs_the_secret_and_the_same_origin(tracked: Web, headers: dict, code: int) -> None:
    before = tracked.status()["tracking"]
    answer, body, _ = tracked.request(
        "POST", "/api/tracking", json.dumps({"on": not before["on"]}).encode(), headers
    )
    assert answer == code and body.count(b"\n") == 1, body
    assert tracked.status()["tracking"]["on"] == before["on"]
