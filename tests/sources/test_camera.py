"""A camera that starts slowly, hands out empty buffers, then disappears and comes back.

This machine has no camera, so `cv2.VideoCapture` is wrapped at its narrowest boundary: the
wrapper plays the real shared clip (real decoded frames) and injects, on a script, exactly what
V4L2 cameras do: `read()` -> (True, empty) while starting, (False, None) once unplugged, and
`isOpened()` False while it is gone. Everything above `VideoCapture` is the real code.
"""

import threading
import time

import cv2
import numpy as np
import pytest
from conftest import PERSON_CLIP, need

from camapp.errors import SourceError
from camapp.pipeline import Pipeline
from camapp.sources import open_source
from camapp.sources import opencv as opencv_source
from camapp.sources.base import SourceLost

REAL_CAPTURE = cv2.VideoCapture


class FlakyCamera:
    """Shared state of the simulated device: present or not, and its next reads."""

    def __init__(self) -> None:
        self.present = True
        self.script: list[str] = []  # "empty" or "fail" per read, then real frames
        self.opens = 0
        self.lock = threading.Lock()

    def capture(self, target, api=None, *params):
        camera = self

        class Capture:
            def __init__(self) -> None:
                camera.opens += 1
                self._real = REAL_CAPTURE(str(PERSON_CLIP)) if camera.present else None

            def isOpened(self) -> bool:  # noqa: N802 - OpenCV's name
                return self._real is not None

            def read(self):
                with camera.lock:
                    step = camera.script.pop(0) if camera.script else None
                    if not camera.present:
                        step = "fail"
                if step == "empty":
                    return True, np.zeros((0, 0, 3), np.uint8)
                if step == "fail" or self._real is None:
                    return False, None
                return self._real.read()

            def get(self, prop):
                return self._real.get(prop) if self._real is not None else 0.0

            def set(self, prop, value):
                return True

            def release(self) -> None:
                if self._real is not None:
                    self._real.release()
                    self._real = None

        return Capture()


@pytest.fixture()
def camera(monkeypatch):
    need(PERSON_CLIP)
    cam = FlakyCamera()
    monkeypatch.setattr(opencv_source.cv2, "VideoCapture", cam.capture)
    return cam


def test_a_few_empty_buffers_while_starting_are_skipped(camera):
    camera.script = ["empty", "empty", "empty"]
    src = open_source("0", width=640, height=480, fps=30)
    frame = src.read()
    assert frame.index == 0 and frame.image.shape == (432, 768, 3)
    assert src.size == (768, 432)  # what the device delivered, not what was asked
    src.close()


def test_endless_empty_buffers_or_a_failed_read_are_a_loss(camera):
    src = open_source("0")
    camera.script = ["empty"] * 10
    with pytest.raises(SourceLost):
        src.read()
    camera.script = ["fail"]
    with pytest.raises(SourceLost):
        src.read()
    src.close()


def test_unplugged_camera_cannot_be_opened(camera):
    camera.present = False
    with pytest.raises(SourceError, match="camera 0 cannot be opened"):
        open_source("0")


def test_pipeline_survives_a_camera_unplugged_and_replugged(camera, detector):
    src = open_source("0")
    states, indices = [], []
    p = Pipeline(src, detector, reconnect_delay=0.1, reconnect_max_delay=0.2)
    p.on_state(lambda s: states.append((s.state, s.message)))
    p.on_result(lambda r: indices.append(r.frame.index))

    def wait_for(cond, timeout=20.0):
        end = time.monotonic() + timeout
        while not cond() and time.monotonic() < end:
            time.sleep(0.02)
        assert cond()

    p.start()
    wait_for(lambda: len(indices) >= 5)
    camera.present = False
    wait_for(lambda: any("attempt 2" in m for _, m in states))
    opens_while_gone = camera.opens
    assert p.stats.state == "reconnecting"
    assert "no frames from camera 0" in states[1][1] or "cannot be opened" in states[-1][1]
    before = len(indices)
    camera.present = True
    wait_for(lambda: len(indices) >= before + 5)
    p.stop()
    assert opens_while_gone >= 2  # the first open and at least one retry while it was gone
    assert [s for s, _ in states][:2] == ["running", "reconnecting"] and ("running", "") in states[2:]
    assert indices == sorted(indices)
