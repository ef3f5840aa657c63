"""The motion gate through the Session (real model, shared bottle clip): spec, command, status,
start/end events, held boxes on frames not detected, live changes."""

from __future__ import annotations

import json

import pytest
from conftest import BOTTLE_CLIP, need
from session.conftest import session  # noqa: F401  (the fixture)
from session.events import WAIT, Events

from camapp.errors import CamappError
from camapp.session import ModelSpec, MotionSpec, SourceSpec, TrackSpec


def test_motion_spec_parses_checks_and_serializes():
    spec = MotionSpec.parse("regions", sensitivity=0.7, masks=["0,0,0.5,0,0.5,0.5"], keepalive=2)
    d = spec.to_dict()
    assert json.loads(json.dumps(d)) == d
    assert d["mode"] == "regions" and d["masks"] == [[[0.0, 0.0], [0.5, 0.0], [0.5, 0.5]]]
    assert spec.settings().difference == 21
    with pytest.raises(CamappError, match="at least 3 points"):
        MotionSpec.parse(masks=["0,0,1,1"])
    with pytest.raises(CamappError, match="sensitivity must be between 0 and 1"):
        MotionSpec(sensitivity=1.2)
    with pytest.raises(CamappError, match="choose one of on, regions"):
        MotionSpec("sometimes")
    with pytest.raises(CamappError, match="keep-alive"):
        MotionSpec(keepalive=0)


def test_a_session_with_motion_skips_still_frames_reports_and_emits_start_and_end(session, model_store):  # noqa: F811
    events = Events(session)
    assert session.set_motion(MotionSpec(keepalive=2.0)).result(timeout=WAIT) == "remembered"
    source = SourceSpec(str(need(BOTTLE_CLIP)), realtime=False)
    session.open(source, ModelSpec(), max_frames=240).result(timeout=WAIT)
    assert session.wait(WAIT)
    session.stop().result(timeout=WAIT)
    status = session.status()
    m = status["motion"]
    assert m["mode"] == "on" and m["detected"] + m["skipped"] == status["stats"]["frames"] == 240
    assert m["skipped"] > 0 and m["detected"] > 0
    results = events.results()
    skipped = [r for r in results if not r.gate.detect]
    assert len(skipped) == m["skipped"]
    # frames not detected show the boxes of the last detected frame
    for prev, r in zip(results, results[1:]):
        if not r.gate.detect:
            assert r.detections.boxes.tolist() == prev.detections.boxes.tolist()
    moved = events.named("motion")
    assert [e["event"] for e in moved] == ["start", "end"] * (len(moved) // 2) + ["start"] * (len(moved) % 2)
    assert m["starts"] == sum(e["event"] == "start" for e in moved) >= 1
    assert all(set(e) == {"event", "t", "frame", "boxes"} for e in moved)
    assert moved[0]["boxes"]  # a start says where


def test_motion_switches_live_and_refuses_regions_with_a_region(session, model_store):  # noqa: F811
    source = SourceSpec(str(need(BOTTLE_CLIP)), realtime=True, loop=True)
    session.open(source, ModelSpec()).result(timeout=WAIT)
    events = Events(session)
    assert session.set_motion(MotionSpec()).result(timeout=WAIT) == "live"
    events.wait(lambda: any(r.gate is not None and r.gate.motion is not None for r in events.results()))
    assert session.status()["motion"]["mode"] == "on"
    gate = session.pipeline.motion
    assert session.set_motion(MotionSpec("regions", sensitivity=0.9)).result(timeout=WAIT) == "live"
    assert session.pipeline.motion is gate and gate.regions and gate.detector.settings.sensitivity == 0.9
    with pytest.raises(CamappError, match="--motion regions and --roi do not go together"):
        session.set_tracking(TrackSpec.parse(roi="0,0,0.5,1", enabled=False)).result(timeout=WAIT)
    session.set_motion(None).result(timeout=WAIT)
    assert session.pipeline.motion is None and session.status()["motion"] is None
