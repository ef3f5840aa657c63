"""The session adapter without a model: object events in, which frame goes out with the message.

The session here is the observer protocol only (`subscribe`), fed the events a session emits
(`opened`, then per frame a `result` and its `object` events); the messages go to a real local
JSON webhook. The clip-level checks are in test_watch.py."""

from __future__ import annotations

import types

import cv2
import numpy as np
from notify.receivers import attachment

from camapp.notify import Notifier, Rules
from camapp.notify.watch import camera_name
from camapp.types import Detections, Frame


class Emitter:
    def __init__(self) -> None:
        self.observers = []

    def subscribe(self, observer):
        self.observers.append(observer)
        return lambda: self.observers.remove(observer)

    def emit(self, name: str, **payload) -> None:
        for observer in list(self.observers):
            observer(name, payload)


def result(index: int, grey: int):
    image = np.full((120, 160, 3), grey, np.uint8)
    dets = Detections(np.array([[40.0, 20.0, 100.0, 110.0]]), np.array([0.8]), np.array([0]), ("person",))
    return types.SimpleNamespace(frame=Frame(image, float(index), index), detections=dets, track=None)


def obj(kind: str, frame: int, score: float, entered: tuple[str, ...] = ()) -> dict:
    return {
        "type": kind,
        "id": 1,
        "label": "person",
        "track_id": 4,
        "score": score,
        "t": frame / 10,
        "frame": frame,
        "wall": 1_800_000_000.0 + frame / 10,
        "zones": list(entered),
        "entered": list(entered),
    }


def test_the_message_carries_the_best_frame_so_far_and_the_sources_name(receiver):
    session = Emitter()
    notifier = Notifier(session, [receiver.url], Rules.make(zones=["door"], cooldown=0))
    session.emit("opened", source="0", text="camera 0 (640x480, 30 fps)")
    steps = [  # (frame, its grey, the object's event): its best score is on frame 1
        (0, 40, obj("start", 0, 0.6)),
        (1, 200, obj("update", 1, 0.9)),
        (2, 90, obj("update", 2, 0.7, ("door",))),  # enters the watched zone: the message
        (3, 90, obj("update", 3, 0.95, ("door",))),  # a better score after the message: no second one
    ]
    for index, grey, event in steps:
        session.emit("result", result=result(index, grey))
        session.emit("object", **event)
    (body,) = receiver.wait(1)
    notifier.close()
    assert body["title"] == "person 70% in door · camera 0"
    image = cv2.imdecode(np.frombuffer(attachment(body)[2], np.uint8), cv2.IMREAD_COLOR)
    assert abs(float(image[5, 5].mean()) - 200) < 8  # frame 1's grey, not the frame it entered on
    assert len(receiver.bodies()) == 1 and session.observers == []  # close() unsubscribed


def test_a_given_camera_name_wins_and_an_event_without_its_frame_goes_without_a_picture(receiver):
    session = Emitter()
    notifier = Notifier(session, [receiver.url], Rules.make(cooldown=0), camera="hall")
    session.emit("opened", source="0", text="USB camera 0")
    session.emit("result", result=result(7, 90))
    session.emit(
        "object", **obj("start", 8, 0.8)
    )  # not the last result's frame: no picture is better than a wrong one
    (body,) = receiver.wait(1)
    notifier.close()
    assert body["title"] == "person 80% · hall" and body["attachments"] == []


def test_the_camera_name_leaves_out_size_rate_and_a_streams_credentials():
    assert camera_name("camera 0 (640x480, 30 fps)") == "camera 0"
    assert camera_name("front.mp4 (768x432, 10 fps)") == "front.mp4"
    assert camera_name("rtsp://admin:secret@192.168.1.20:554/stream1 (1920x1080, 25 fps)") == (
        "rtsp://192.168.1.20:554"
    )
    assert camera_name("http://cam.local/video.mjpg (size unknown, fps unknown)") == "http://cam.local"
    assert camera_name("Pi camera 0") == "Pi camera 0"
