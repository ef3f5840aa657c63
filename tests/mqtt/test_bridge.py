"""The bridge on the real model and the person clip, against a real Mosquitto: what a subscriber
(Home Assistant, a script) sees, controls answered, and a broker that goes away mid-run."""

from __future__ import annotations

import json
import time
from typing import Any

import cv2
import numpy as np
import pytest
from conftest import PERSON_CLIP, need
from mqtt.broker import PASSWORD, USER, Subscriber

from camapp.mqtt.bridge import MqttBridge
from camapp.mqtt.url import Broker
from camapp.session import ModelSpec, Session, SourceSpec

WAIT = 120


@pytest.fixture()
def session():
    s = Session()
    yield s
    s.close(timeout=30)


def broker_of(mosquitto) -> Broker:
    return Broker("127.0.0.1", mosquitto.port, username=USER, password=PASSWORD)


class Objects:
    """The object events the run itself made (the ids a subscriber must see), and frame count."""

    def __init__(self, session: Session) -> None:
        self.events: list[Any] = []
        self.scores: list[tuple[float, np.ndarray]] = []
        session.subscribe(self.heard)

    def heard(self, name: str, e: dict[str, Any]) -> None:
        if name == "result":
            r = e["result"]
            self.events += list(r.objects.events) if r.objects is not None else []
            self.scores.append((time.monotonic(), r.detections.scores))

    def started(self) -> dict[int, str]:
        return {e.id: e.label for e in self.events if e.type == "start"}


def events_of(sub: Subscriber, name: str) -> list[dict[str, Any]]:
    return [json.loads(p) for p in sub.on(f"camapp/{name}/events")]


def test_a_subscriber_sees_availability_discovery_objects_counts_and_snapshots(
    mosquitto, session, model_store
):
    sub = Subscriber(mosquitto)
    time.sleep(0.3)
    objects = Objects(session)
    bridge = MqttBridge(session, broker_of(mosquitto), "door", labels=["person"], status_every=2.0)
    bridge.start()
    source = SourceSpec(str(need(PERSON_CLIP)), realtime=False)
    session.open(source, ModelSpec(), max_frames=260).result(timeout=WAIT)
    assert session.wait(WAIT)
    session.stop().result(timeout=WAIT)
    t0 = time.monotonic()
    assert bridge.close(timeout=5)
    assert time.monotonic() - t0 < 6
    time.sleep(0.5)

    avail = sub.on("camapp/door/availability")
    assert avail[0] == b"online" and avail[-1] == b"offline"
    configs = {t: json.loads(p) for _, t, p, _ in sub.messages if t.startswith("homeassistant/") and p}
    assert "homeassistant/binary_sensor/door/person_occupancy/config" in configs
    assert "homeassistant/image/door/snapshot/config" in configs
    assert {c["device"]["identifiers"][0] for c in configs.values()} == {"camapp_door"}

    started = objects.started()
    assert "person" in started.values(), started  # the clip's first person walks in by frame 260
    got = events_of(sub, "door")
    new = {e["id"]: e["label"] for e in got if e["type"] == "new"}
    ends = [e["id"] for e in got if e["type"] == "end"]
    assert new == started  # the same ids and labels as the run's own objects
    assert sorted(ends) == sorted(started)  # one end per object (open ones end with the run)
    for e in got:
        assert e["camera"] == "door" and len(e["box"]) == 4 and e["top_score"] >= e["score"] > 0
        assert (e["end_time"] is None) == (e["type"] != "end")
        if e["type"] == "end":
            assert e["end_time"] >= e["start_time"]

    counts = [int(p) for p in sub.on("camapp/door/person")]
    assert counts[0] == 0 and max(counts) >= 1
    jpeg = sub.on("camapp/door/snapshot/person")[-1]
    image = cv2.imdecode(np.frombuffer(jpeg, np.uint8), cv2.IMREAD_COLOR)
    assert image is not None and image.shape == (432, 768, 3)
    assert any(e["has_snapshot"] for e in got if e["label"] == "person")
    status = json.loads(sub.on("camapp/door/status")[-1])
    assert status["frames"] > 0 and status["input_size"] == 300 and "fps" in status
    sub.close()


def test_set_threshold_is_answered_within_200_ms_and_the_detector_uses_it(mosquitto, session, model_store):
    sub = Subscriber(mosquitto, ("camapp/cam/state/#", "camapp/cam/error"))
    time.sleep(0.3)
    objects = Objects(session)
    bridge = MqttBridge(session, broker_of(mosquitto), "cam")
    bridge.start()
    session.set_threshold(0.3)
    session.open(SourceSpec(str(need(PERSON_CLIP)), loop=True), ModelSpec()).result(timeout=WAIT)
    # a change made elsewhere (here: before the broker answered) shows within a second
    assert sub.wait_for(lambda m: b"0.3" in [p for _, t, p, _ in m if t == "camapp/cam/state/threshold"], 15)
    time.sleep(3)
    assert any((s < 0.7).any() for _, s in objects.scores)  # boxes under 0.7 pass at 0.3

    n = len(sub.messages)
    sent = time.monotonic()
    sub.publish("camapp/cam/set/threshold", "0.7")
    assert sub.wait_for(lambda m: any(t == "camapp/cam/state/threshold" for _, t, _, _ in m[n:]), 5)
    answered = next(at for at, t, _, _ in sub.messages[n:] if t == "camapp/cam/state/threshold")
    print(f"set/threshold answered in {(answered - sent) * 1000:.0f} ms")
    assert answered - sent < 0.2, answered - sent
    assert sub.on("camapp/cam/state/threshold")[-1] == b"0.7" and session.threshold == 0.7
    time.sleep(0.5)  # frames in flight were detected at the old threshold
    later = time.monotonic()
    time.sleep(3)
    fresh = [s for at, s in objects.scores if at > later]
    assert fresh and all((s >= 0.7).all() for s in fresh)

    for topic, value, reason in [
        ("threshold", "1.5", "not in (0, 1]"),
        ("threshold", "lots", "not a number"),
        ("input_size", "123", "not one of 300"),
        ("record", "maybe", "not ON or OFF"),
        ("zoom", "2", "no control 'zoom'"),
    ]:
        n = len(sub.messages)
        sub.publish(f"camapp/cam/set/{topic}", value)
        assert sub.wait_for(lambda m, n=n: any(t == "camapp/cam/error" for _, t, _, _ in m[n:]), 5)
        error = json.loads(sub.on("camapp/cam/error")[-1])
        assert error["control"] == topic and error["value"] == value and reason in error["reason"], error
    assert session.threshold == 0.7  # refused values change nothing

    n = len(sub.messages)
    sub.publish("camapp/cam/set/pause", "ON")
    assert sub.wait_for(lambda m: any(p == b"ON" and t.endswith("state/pause") for _, t, p, _ in m[n:]), 5)
    assert session.paused
    bridge.close()
    sub.close()


class Inferences:
    """Counts the detector's inferences on every lane (each still runs the real model)."""

    def __init__(self, detector: Any) -> None:
        self.n = 0
        for lane in getattr(detector, "lanes", None) or (detector,):
            lane.infer = self._counted(lane.infer)

    def _counted(self, infer: Any) -> Any:
        def counted(image: Any, tensor: Any = None) -> Any:
            self.n += 1
            return infer(image, tensor)

        return counted


def test_set_detect_off_stops_inference_while_frames_go_on_and_on_resumes_it(mosquitto, session, model_store):
    sub = Subscriber(mosquitto, ("camapp/cam/state/#", "camapp/cam/error", "camapp/cam/events"))
    time.sleep(0.3)
    objects = Objects(session)
    bridge = MqttBridge(session, broker_of(mosquitto), "cam")
    bridge.start()
    session.open(SourceSpec(str(need(PERSON_CLIP)), loop=True), ModelSpec()).result(timeout=WAIT)
    inferences = Inferences(session.detector)
    assert sub.wait_for(lambda m: any(t == "camapp/cam/state/detect" and p == b"ON" for _, t, p, _ in m), 15)
    deadline = time.monotonic() + 60
    while not objects.started() and time.monotonic() < deadline:  # something in view first
        time.sleep(0.1)
    started = objects.started()
    assert started and inferences.n > 0

    n = len(sub.messages)
    sub.publish("camapp/cam/set/detect", "OFF")
    assert sub.wait_for(lambda m: any(p == b"OFF" and t.endswith("state/detect") for _, t, p, _ in m[n:]), 5)
    time.sleep(0.5)  # frames planned before the switch
    invoked, frames, results = inferences.n, session.status()["stats"]["frames"], len(objects.scores)
    time.sleep(3)
    status = session.status()
    assert inferences.n == invoked  # not one inference more
    assert status["stats"]["frames"] >= frames + 15  # the clip's 10 fps went on
    assert not any(len(s) for _, s in objects.scores[results:])  # no boxes
    assert status["detect"] is False and status["stats"]["detecting"] is False
    assert session.classes is None  # the class filter is not how it is done
    # what was in view ends, after the linger, as objects that leave do
    assert sub.wait_for(
        lambda m: {e["id"] for e in events_of(sub, "cam") if e["type"] == "end"} >= set(started), 10
    )
    assert session.pipeline is not None and not session.pipeline.objects.open

    n = len(sub.messages)
    sub.publish("camapp/cam/set/detect", "ON")
    assert sub.wait_for(lambda m: any(p == b"ON" and t.endswith("state/detect") for _, t, p, _ in m[n:]), 5)
    time.sleep(2)
    assert inferences.n > invoked + 5 and session.status()["detect"] is True
    bridge.close()
    sub.close()


def test_the_broker_away_10_s_mid_run_every_event_arrives_and_detection_goes_on(
    mosquitto, session, model_store
):
    sub = Subscriber(mosquitto, ("camapp/hall/#",), durable=True)
    time.sleep(0.3)
    objects = Objects(session)
    lines: list[str] = []
    bridge = MqttBridge(session, broker_of(mosquitto), "hall", say=lines.append)
    bridge.start()
    # at the clip's own rate: 10 fps, the first person walks in after a few seconds
    session.open(SourceSpec(str(need(PERSON_CLIP))), ModelSpec(), max_frames=400).result(timeout=WAIT)
    time.sleep(4)
    assert bridge.link.connected
    mosquitto.stop()
    frames_before = session.status()["stats"]["frames"]
    time.sleep(10)
    frames_after = session.status()["stats"]["frames"]
    queued = bridge.status()["queued"]
    mosquitto.start()
    assert frames_after > frames_before + 20  # detection went on without the broker
    assert queued > 0  # events and counts waited
    assert session.wait(WAIT)
    session.stop().result(timeout=WAIT)
    t0 = time.monotonic()
    bridge.close(timeout=10)
    assert time.monotonic() - t0 < 12  # nothing hangs at exit
    started = objects.started()
    assert len(started) >= 2, started
    assert sub.wait_for(
        lambda m: {e["id"] for e in events_of(sub, "hall") if e["type"] == "end"} >= set(started), 20
    ), lines
    got = events_of(sub, "hall")
    assert {e["id"]: e["label"] for e in got if e["type"] == "new"} == started
    assert bridge.status()["dropped"] == 0
    assert any("connection lost" in line for line in lines) and "connected" in lines[-1]
    sub.close()
