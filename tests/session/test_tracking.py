"""Tracking through the Session (real model, shared person clip): spec, command, status, events."""

from __future__ import annotations

import json

import pytest
from conftest import PERSON_CLIP, need
from session.events import WAIT, Events

from camapp.errors import CamappError
from camapp.session import EventSpec, ModelSpec, SourceSpec, TrackSpec, track_lines

DOOR, EXIT = "door:0,0.65,1,0.65", "exit:0.8,0,0.8,1"
TABLE = "table:0.4,0.1,0.7,0.1,0.7,0.9,0.4,0.9"
PEOPLE = 6  # watched: six people walk in one at a time (tests/cli/test_track_args.py)


def test_track_spec_parses_checks_and_serializes():
    spec = TrackSpec.parse([DOOR], [TABLE], "0,0,1,0.5", detect_every=3, trail=5).check()
    d = spec.to_dict()
    assert json.loads(json.dumps(d)) == d
    assert d["lines"] == [{"name": "door", "points": [[0.0, 0.65], [1.0, 0.65]]}]
    assert d["zones"][0]["name"] == "table" and len(d["zones"][0]["points"]) == 4
    assert d["roi"] == [0.0, 0.0, 1.0, 0.5] and d["detect_every"] == 3 and d["trail"] == 5
    assert not TrackSpec(enabled=False).active and TrackSpec.parse(roi="0,0,1,0.5", enabled=False).active
    with pytest.raises(CamappError, match="between 0 and 1"):
        TrackSpec.parse(["door:0,0.5,1.2,0.5"])
    with pytest.raises(CamappError, match="used twice"):
        TrackSpec.parse(["a:0,0.5,1,0.5"], ["a:0,0,1,0,1,1"]).check()
    with pytest.raises(CamappError, match="--line goes with --track"):
        TrackSpec.parse([DOOR], enabled=False).check()
    with pytest.raises(CamappError, match="unknown zone 'desk'"):
        TrackSpec.parse(zones=[TABLE]).check(["person", "zone:desk"])


def test_track_lines_read_the_status():
    status = {
        "tracking": {
            "enabled": True,
            "distinct": {"person": 6, "chair": 1},
            "counts": {"door": {"up person": 6}, "exit": {}},
            "occupancy": {"table": {"inside": [7], "visits": 5, "mean_dwell": 9.25}},
        }
    }
    assert track_lines(status) == [
        "person: 6 distinct, chair: 1 distinct",
        "line door: 6 up person",
        "line exit: no crossings",
        "zone table: 5 visits, 9.2 s on average; still inside at the end: #7",
    ]
    assert track_lines({"tracking": None}) == []


def test_the_session_tracks_counts_and_reports_line_and_zone_events(session, model_store):
    ev = Events(session)
    assert session.set_tracking(TrackSpec.parse([DOOR, EXIT], [TABLE])).result(timeout=WAIT) == "remembered"
    source = SourceSpec(str(need(PERSON_CLIP)), realtime=False)
    session.open(source, ModelSpec(), classes=["person"]).result(timeout=WAIT)
    assert session.wait(300)
    session.stop().result(timeout=WAIT)
    results = ev.results()
    assert len(results) == 1394
    people = [r for r in results if len(r.detections)]
    assert people and all(r.detections.track_ids is not None for r in people)
    assert all(r.track is not None for r in results)
    status = session.status()
    json.dumps(status)
    t = status["tracking"]
    assert abs(t["distinct"]["person"] - PEOPLE) <= 1
    assert t["counts"] == {"door": {"up person": PEOPLE}, "exit": {"right person": PEOPLE}}
    assert t["occupancy"]["table"]["visits"] >= PEOPLE - 1
    crosses = ev.named("track")
    assert [e["line"] for e in crosses if e["event"] == "cross"].count("door") == PEOPLE
    assert {e["event"] for e in crosses} == {"cross", "enter", "exit"}
    assert set(crosses[0]) >= {"event", "track_id", "label", "t"}
    assert f"line door: {PEOPLE} up person" in track_lines(status)

    # objects: one per followed person (the distinct count's rule), each started then ended
    objects = ev.named("object")
    starts = [o for o in objects if o["type"] == "start"]
    ends = {o["id"]: o for o in objects if o["type"] == "end"}
    assert sorted(o["id"] for o in starts) == sorted(ends) == list(range(1, len(starts) + 1))
    people = [o for o in starts if o["label"] == "person"]
    assert len(people) == t["distinct"]["person"] and len({o["track_id"] for o in people}) == len(people)
    for o in starts:
        end = ends[o["id"]]
        assert (end["track_id"], end["label"], end["start"]) == (o["track_id"], o["label"], o["start"])
        assert end["start"] <= end["last_seen"] <= end["t"] and end["top_score"] >= o["score"]
    door = [e for e in ends.values() if "door up" in e["crossed"]]
    assert len(door) == PEOPLE and all("table" in e["entered"] for e in door)
    assert sum(1 for c in crosses if c["event"] == "cross") == sum(len(e["crossed"]) for e in ends.values())


def test_set_tracking_changes_regions_and_on_off_live_and_restarts_for_a_region(session, model_store):
    ev = Events(session)
    source = SourceSpec(str(need(PERSON_CLIP)), loop=True)
    session.set_tracking(TrackSpec.parse([DOOR]))
    session.open(source, ModelSpec()).result(timeout=WAIT)
    ev.wait(lambda: len(ev.results()) >= 3)
    assert [x.name for x in ev.results()[-1].track.lines] == ["door"]

    assert session.set_tracking(TrackSpec.parse([DOOR, EXIT], [TABLE])).result(timeout=WAIT) == "live"
    n = len(ev.results())
    ev.wait(lambda: len(ev.results()) >= n + 3)
    last = ev.results()[-1]
    assert [x.name for x in last.track.lines] == ["door", "exit"] and [z.name for z in last.track.zones] == [
        "table"
    ]
    assert set(session.status()["tracking"]["counts"]) == {"door", "exit"}

    # off and on again: the file goes on from where it was (no reopen, frame numbers continue)
    opened = len(ev.named("opened"))
    assert session.set_tracking(None).result(timeout=WAIT) == "live"
    at_off = ev.results()[-1].frame.index
    n = len(ev.results())
    ev.wait(lambda: len(ev.results()) >= n + 5)
    assert all(r.track is None and r.detections.track_ids is None for r in ev.results()[-3:])
    assert session.status()["tracking"] is None
    assert ev.results()[-1].frame.index > at_off

    assert session.set_tracking(TrackSpec.parse([DOOR])).result(timeout=WAIT) == "live"
    assert session.status()["tracking"]["counts"] == {"door": {}}  # fresh counts (checked at once)
    n = len(ev.results())
    ev.wait(lambda: len(ev.results()) >= n + 5)
    assert all(r.track is not None for r in ev.results()[-3:])
    assert len(ev.named("opened")) == opened and session.status()["state"] == "running"
    indices = [r.frame.index for r in ev.results()]
    assert indices[n:] == sorted(indices[n:])

    # another region: the pipeline restarts on the same source
    assert session.set_tracking(TrackSpec.parse([DOOR], roi="0,0,0.5,1")).result(timeout=WAIT) == "restarted"
    ev.wait(lambda: len(ev.named("opened")) == opened + 1)


def test_record_on_a_zone_needs_that_zone(session, model_store, tmp_path):
    ev = Events(session)
    session.set_tracking(TrackSpec.parse(zones=[TABLE])).result(timeout=WAIT)
    session.start_events(EventSpec(str(tmp_path / "a"), ("zone:desk",))).result(timeout=WAIT)  # armed
    source = SourceSpec(str(need(PERSON_CLIP)), loop=True)
    session.open(source, ModelSpec()).result(timeout=WAIT)  # the source runs; the clips cannot
    assert any("unknown zone 'desk'" in e["text"] for e in ev.named("failed"))
    session.start_events(EventSpec(str(tmp_path / "b"), ("zone:table",))).result(timeout=WAIT)
    future = session.set_tracking(TrackSpec.parse(zones=["desk:0,0,1,0,1,1"]))  # table is watched
    assert "unknown zone 'table'" in str(future.exception(timeout=WAIT))
    assert session.status()["tracking"]["zones"][0]["name"] == "table"
    future = session.set_tracking(None)  # tracking off would leave the clips waiting forever
    assert "unknown zone 'table'" in str(future.exception(timeout=WAIT))
    assert session.status()["tracking"]["enabled"] and session.stage is not None
