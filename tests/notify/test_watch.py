"""Notifications from a running session (real model, the shared person clip, tracking) to a real
local JSON webhook: one POST per object start, soon after it, with the annotated frame attached."""

from __future__ import annotations

import threading
import time

import cv2
import numpy as np
import pytest
from conftest import PERSON_CLIP, need
from notify.receivers import Receiver, attachment

from camapp.notify import Notifier, Rules
from camapp.session import ModelSpec, Session, SourceSpec, TrackSpec

WAIT = 600.0  # the whole clip (1394 frames) as fast as two shared cores go
TABLE = "table:0.4,0.1,0.7,0.1,0.7,0.9,0.4,0.9"  # every person walks through it


class Starts:
    """Object events as the session emits them, with the moment each was emitted."""

    def __init__(self, session: Session) -> None:
        self.items: list[tuple[float, dict]] = []
        self._lock = threading.Lock()
        session.subscribe(self)

    def __call__(self, name: str, payload: dict) -> None:
        if name == "object":
            with self._lock:
                self.items.append((time.monotonic(), payload))

    def of(self, kind: str) -> list[tuple[float, dict]]:
        with self._lock:
            return [(t, e) for t, e in self.items if e["type"] == kind]


RULES = {
    "all": Rules.make(cooldown=0),
    "filtered": Rules.make(["person"], ["table"], cooldown=0),
    "cooldown": Rules.make(cooldown=20),
}


@pytest.fixture(scope="module")
def clip(model_store):
    """One pass over the whole person clip with tracking and a zone, as fast as it goes, heard by
    three notifiers (no filter; person in table; a 20 s cooldown), each with its own receiver."""
    session = Session()
    receivers = {name: Receiver() for name in RULES}
    try:
        starts = Starts(session)
        notifiers = {n: Notifier(session, [receivers[n].url], rules) for n, rules in RULES.items()}
        session.set_tracking(TrackSpec.parse(zones=[TABLE])).result(timeout=WAIT)
        session.open(SourceSpec(str(need(PERSON_CLIP)), realtime=False), ModelSpec()).result(timeout=WAIT)
        assert session.wait(WAIT)
        session.stop().result(timeout=WAIT)
        for n, notifier in notifiers.items():
            receivers[n].wait(notifier.status()["notified"], timeout=10)
            notifier.close()
        yield starts, notifiers, receivers
    finally:
        session.close(timeout=30)
        for r in receivers.values():
            r.close()


def test_one_post_per_object_start_within_a_second_with_the_frame_attached(clip):
    starts, notifiers, receivers = clip
    events, receiver = starts.of("start"), receivers["all"]
    bodies = receiver.bodies()
    people = [e for _, e in events if e["label"] == "person"]
    assert 6 <= len(people) <= 7  # six people walk in one at a time (one more if the detector splits one)
    assert len(bodies) == len(events)
    arrivals = [t for t, _, _ in receiver.posts]
    for (emitted, e), arrived, body in zip(events, arrivals, bodies):
        assert 0 <= arrived - emitted <= 1.0, (e, arrived - emitted)
        assert body["title"].startswith(f"{e['label']} {e['score']:.0%}")
        assert f"object {e['id']}, track {e['track_id']}" in body["message"]
        name, mimetype, data = attachment(body)
        assert mimetype == "image/jpeg" and name == f"camapp-{e['label']}-{e['id']}.jpg"
        image = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
        assert image is not None and image.shape == (432, 768, 3)
    st = notifiers["all"].status()
    assert st["notified"] == len(events) and st["channels"][0]["sent"] == len(events)
    assert st["channels"][0]["dropped"] == st["channels"][0]["failed"] == 0


def test_label_and_zone_filters(clip):
    starts, notifiers, receivers = clip
    entered = {e["id"] for _, e in starts.items if e["label"] == "person" and "table" in e["entered"]}
    others = {e["id"] for _, e in starts.of("start") if e["label"] != "person"}
    bodies = receivers["filtered"].bodies()
    assert len(entered) >= 5 and len(bodies) == len(entered)
    assert all(b["title"].startswith("person ") and " in table" in b["title"] for b in bodies)
    ids = [int(b["message"].split("object ")[1].split(",")[0]) for b in bodies]
    assert sorted(ids) == sorted(entered) and not set(ids) & others


def test_the_cooldown_holds_back_starts_of_the_same_label(clip):
    starts, notifiers, receivers = clip
    last: dict[str, float] = {}
    expected = []
    for _, e in starts.of("start"):  # in source seconds: a message, then nothing for that label for 20 s
        if e["label"] not in last or e["t"] - last[e["label"]] >= 20:
            last[e["label"]] = e["t"]
            expected.append(e["id"])
    bodies = receivers["cooldown"].bodies()
    ids = [int(b["message"].split("object ")[1].split(",")[0]) for b in bodies]
    assert ids == expected and len(ids) < len(starts.of("start"))  # some were held back
    assert notifiers["cooldown"].status()["cooldown"] == len(starts.of("start")) - len(ids)
