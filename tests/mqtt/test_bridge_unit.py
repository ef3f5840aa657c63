"""The bridge's bookkeeping, fast and without a broker: a real (unopened) Session and real object
events from the ObjectWatcher; what it would send is read from the connection's queue."""

from __future__ import annotations

import json

import numpy as np
import pytest
from mqtt.broker import free_port

from camapp.mqtt.bridge import MqttBridge, object_events
from camapp.mqtt.url import Broker
from camapp.pipeline import Stats
from camapp.pipeline.consumer import Result
from camapp.pipeline.objects import ObjectWatcher
from camapp.session import Session
from camapp.track.base import TrackInfo
from camapp.types import Detections, Frame

NAMES = ("person", "dog")
IMAGE = np.zeros((100, 200, 3), np.uint8)


@pytest.fixture()
def bridge():
    s = Session()
    b = MqttBridge(s, Broker("127.0.0.1", free_port()), "cam", labels=["person"], zones=["porch"])
    yield b  # never started: publish() only queues
    s.close(timeout=10)


def sent(b: MqttBridge, topic: str) -> list[bytes]:
    return [m.payload for m in b.link._queue if m.topic == topic]


def results(seq, watcher=None):
    """[(labels and scores), ...] per frame at 10 fps -> Results carrying the watcher's events."""
    w = watcher or ObjectWatcher(linger=0.5)
    for i, boxes in enumerate(seq):
        f = Frame(IMAGE, timestamp=100.0 + i / 10, index=i, media_time=i / 10)
        d = Detections(
            [[10, 10, 50, 60] for _ in boxes] or np.zeros((0, 4)),
            [s for _, s in boxes],
            [NAMES.index(label) for label, _ in boxes],
            NAMES,
        )
        yield Result(f, d, Stats(), None, w.frame(f, d))


def test_objects_are_new_update_end_with_the_watchers_ids(bridge):
    seq = [[("person", 0.6)], [("person", 0.8)], [("person", 0.7)]] + [[]] * 6 + [[("dog", 0.9)]]
    for r in results(seq):
        bridge._observe("result", {"result": r})
    events = [json.loads(p) for p in sent(bridge, "camapp/cam/events")]
    assert [(e["type"], e["id"], e["label"]) for e in events] == [
        ("new", 1, "person"),
        ("update", 1, "person"),  # a better score: a better snapshot
        ("end", 1, "person"),  # gone 0.5 s
        ("new", 2, "dog"),
    ]
    end = events[2]
    assert end["top_score"] == pytest.approx(0.8) and end["end_time"] >= end["start_time"]
    assert all(e["has_snapshot"] and not e["has_clip"] for e in events)
    assert bridge._pending.keys() == {"person", "dog"}  # the newest best sighting per label, to encode

    bridge._observe("state", {"state": "ended"})  # the input ended: the dog leaves with it
    bridge._observe("state", {"state": "ended"})  # once
    last = [json.loads(p) for p in sent(bridge, "camapp/cam/events")][4:]
    assert [(e["type"], e["id"]) for e in last] == [("end", 2)]


def test_a_new_pipeline_numbers_from_one_again(bridge):
    for r in results([[("person", 0.6)]]):
        bridge._observe("result", {"result": r})
    bridge._observe("opening", {"text": "Opening..."})  # ends id 1
    for r in results([[("person", 0.6)]]):
        bridge._observe("result", {"result": r})  # id 1 again: a new object, not a duplicate
    events = [(e["type"], e["id"]) for e in map(json.loads, sent(bridge, "camapp/cam/events"))]
    assert events == [("new", 1), ("end", 1), ("new", 1)]


def test_counts_per_label_and_zone_go_out_on_change_only(bridge):
    f = Frame(IMAGE, 0.0, 0)
    d = Detections([[0, 0, 9, 9]] * 3, [0.9] * 3, [0, 0, 1], NAMES, track_ids=[4, 5, 6])
    track = TrackInfo(inside={"porch": (5, 6)})
    bridge._observe("result", {"result": Result(f, d, Stats(), track, None)})
    bridge._flush_counts()
    assert sent(bridge, "camapp/cam/person") == [b"2"]
    assert sent(bridge, "camapp/cam/dog") == [b"1"]
    assert sent(bridge, "camapp/cam/porch/person") == [b"1"] and sent(bridge, "camapp/cam/porch/dog") == [
        b"1"
    ]
    bridge._flush_counts()  # nothing changed: nothing sent
    assert len(sent(bridge, "camapp/cam/person")) == 1
    empty = Detections(np.zeros((0, 4)), [], [], NAMES)
    bridge._observe("result", {"result": Result(f, empty, Stats(), None, None)})
    bridge._flush_counts()
    assert (
        sent(bridge, "camapp/cam/person") == [b"2", b"0"] and sent(bridge, "camapp/cam/porch/dog")[-1] == b"0"
    )
    assert all(m.retain for m in bridge.link._queue)


def test_controls_answer_on_state_or_error(bridge):
    bridge._on_message("camapp/cam/set/threshold", b"0.65")
    assert bridge.session.threshold == 0.65 and sent(bridge, "camapp/cam/state/threshold") == [b"0.65"]
    bridge._on_message("camapp/cam/set/threshold", b"1.01")  # just above the range
    bridge._on_message("camapp/cam/set/threshold", b"0")
    bridge._on_message("camapp/cam/set/classes", b"person,unicorn")  # no model loaded: no names
    errors = [json.loads(p) for p in sent(bridge, "camapp/cam/error")]
    assert [e["value"] for e in errors] == ["1.01", "0", "person,unicorn"]
    assert bridge.session.threshold == 0.65
    bridge._on_message("camapp/cam/set/threshold", b"1")  # the top of the range is allowed
    assert bridge.session.threshold == 1.0
    bridge._on_message("camapp/cam/set/pause", b"ON")
    assert bridge.session.paused and sent(bridge, "camapp/cam/state/pause") == [b"ON"]
    bridge._on_message("camapp/cam/set/detect", b"OFF")
    assert not bridge.session.detect and sent(bridge, "camapp/cam/state/detect") == [b"OFF"]
    assert bridge._states()["detect"] == "OFF" and bridge.session.classes is None
    bridge._on_message("camapp/cam/set/detect", b"maybe")
    assert json.loads(sent(bridge, "camapp/cam/error")[-1])["control"] == "detect"
    assert not bridge.session.detect


def test_the_same_event_from_the_result_and_the_session_goes_out_once(bridge):
    (r,) = results([[("person", 0.6)]])
    bridge._observe("result", {"result": r})  # before the session's first `object` event
    bridge._observe("object", {"event": r.objects.events[0]})
    assert [json.loads(p)["type"] for p in sent(bridge, "camapp/cam/events")] == ["new"]


def test_the_adapter_prefers_the_sessions_object_events():
    (r,) = results([[("person", 0.6)]])
    assert [e["type"] for e in object_events("result", {"result": r}, session_objects=False)] == ["start"]
    assert object_events("result", {"result": r}, session_objects=True) == []
    event = r.objects.events[0]
    assert object_events("object", {"event": event}, session_objects=True) == [event.to_dict()]


def test_motion_snapshot_button_and_discovery_removal(bridge):
    import cv2

    # the payloads camapp.session.motion.motion_event makes
    bridge._observe("motion", {"event": "start", "t": 1.0, "frame": 10, "boxes": [[0, 0, 10, 10]]})
    bridge._observe("motion", {"event": "end", "t": 2.5, "frame": 25, "boxes": []})
    assert sent(bridge, "camapp/cam/motion") == [b"ON", b"OFF"]

    (r,) = results([[("person", 0.6)]])
    bridge._observe("result", {"result": r})
    bridge._on_message("camapp/cam/set/snapshot", b"PRESS")
    bridge._snapshots(now=1000.0)
    person, latest = sent(bridge, "camapp/cam/snapshot/person"), sent(bridge, "camapp/cam/snapshot/latest")
    assert len(person) == 1 and len(latest) == 2  # the object's best sighting, then the button's frame
    image = cv2.imdecode(np.frombuffer(latest[-1], np.uint8), cv2.IMREAD_COLOR)
    assert image.shape == IMAGE.shape
    bridge._snapshots(now=1000.5)  # nothing new asked for
    assert len(sent(bridge, "camapp/cam/snapshot/latest")) == 2

    bridge._publish_discovery()
    configs = [m for m in bridge.link._queue if m.topic.startswith("homeassistant/")]
    assert configs and all(m.retain and json.loads(m.payload)["device"]["name"] == "cam" for m in configs)
    bridge.discovery_on = False  # --mqtt-no-discovery: empty retained configs remove the device
    bridge._publish_discovery()
    removed = [m for m in bridge.link._queue if m.topic.startswith("homeassistant/")][len(configs) :]
    assert [m.topic for m in removed] == [m.topic for m in configs]
    assert all(m.payload == b"" and m.retain for m in removed)
