"""The Pi camera source against a fake `picamera2` module (this machine has no Pi camera).

The fake exposes only the calls `PicameraSource` makes, and raises what Picamera2 raises (its
generic "Camera __init__ sequence did not complete." wrapping "Failed to acquire camera: Device
or resource busy"). The frames it delivers are real: the shared person clip, in BGR byte order,
which is what Picamera2's "RGB888" format is in memory.
"""

import sys
import types

import cv2
import numpy as np
import pytest
from conftest import PERSON_CLIP, need

from camapp.errors import SourceError
from camapp.sources.base import SourceLost
from camapp.sources.picamera import PicameraSource

IMX708 = {
    "Model": "imx708",
    "Location": 2,
    "Rotation": 180,
    "Id": "/base/axi/pcie@120000/rp1/i2c@88000/imx708@1a",
}


def clip_frames(start: int, count: int) -> list[np.ndarray]:
    cap = cv2.VideoCapture(str(need(PERSON_CLIP)))
    cap.set(cv2.CAP_PROP_POS_FRAMES, start)
    frames = [cap.read()[1] for _ in range(count)]
    cap.release()
    return frames


def fake_picamera2(cameras, frames=(), busy=False, fail_after=None):
    """A stand-in for the `picamera2` package on a Pi with `cameras` attached."""
    module = types.ModuleType("picamera2")
    log = {"configs": [], "started": 0, "closed": 0}

    class Picamera2:
        @staticmethod
        def global_camera_info():
            return list(cameras)

        def __init__(self, camera_num=0):
            if busy:
                try:
                    raise RuntimeError("Failed to acquire camera: Device or resource busy")
                except RuntimeError:
                    raise RuntimeError("Camera __init__ sequence did not complete.")  # noqa: B904 (as Picamera2 does)
            self.num, self.config, self.served = camera_num, None, 0

        def create_video_configuration(self, main=None, controls=None, buffer_count=6):
            return {"main": dict(main or {}), "controls": dict(controls or {}), "buffer_count": buffer_count}

        def configure(self, config):
            log["configs"].append(config)
            self.config = config

        def start(self):
            log["started"] += 1

        def camera_configuration(self):
            # the camera settles on a mode it has: the clip's size; video configs default to 30 fps
            h, w = frames[0].shape[:2]
            controls = {"FrameDurationLimits": (33333, 33333), **self.config["controls"]}
            controls.pop("FrameRate", None)
            return {"main": {**self.config["main"], "size": (w, h)}, "controls": controls}

        def capture_array(self, name="main"):
            assert name == "main"
            if fail_after is not None and self.served >= fail_after:
                raise RuntimeError("Camera frontend has timed out!")
            frame = frames[self.served % len(frames)]
            self.served += 1
            return frame.copy()

        def stop(self):
            pass

        def close(self):
            log["closed"] += 1

    module.Picamera2 = Picamera2
    module.log = log
    return module


def test_not_installed(monkeypatch):
    """As on this machine and any non-Pi: the one fix that works on Raspberry Pi OS."""
    monkeypatch.setitem(sys.modules, "picamera2", None)  # makes `import picamera2` raise ImportError
    with pytest.raises(SourceError) as err:
        PicameraSource("picam").open()
    assert str(err.value) == (
        "picamera2 is not installed: on Raspberry Pi OS run `sudo apt install python3-picamera2` "
        "and create the venv with --system-site-packages"
    )


def test_no_camera_connected(monkeypatch):
    """Stands for a Pi with no camera module (global_camera_info() is empty)."""
    monkeypatch.setitem(sys.modules, "picamera2", fake_picamera2([]))
    with pytest.raises(SourceError, match="no Raspberry Pi camera found: check the ribbon cable"):
        PicameraSource("picam").open()


def test_index_out_of_range(monkeypatch):
    """Stands for a Pi 5 with one camera module asked for its second one."""
    monkeypatch.setitem(sys.modules, "picamera2", fake_picamera2([IMX708]))
    with pytest.raises(SourceError, match=r"Pi camera 1 not found: 1 camera\(s\) attached, use picam:0$"):
        PicameraSource("picam:1").open()


def test_busy_camera(monkeypatch):
    """Stands for the camera held by another process (rpicam-hello, a second camapp)."""
    monkeypatch.setitem(sys.modules, "picamera2", fake_picamera2([IMX708], busy=True))
    with pytest.raises(SourceError, match="Pi camera 0 is busy: another process is using it"):
        PicameraSource("picam").open()


@pytest.mark.parametrize("spec", ["picam:x", "picam:", "picamera"])
def test_bad_spec(spec):
    with pytest.raises(SourceError, match="bad Pi camera source"):
        PicameraSource(spec)


def test_frames_are_bgr_and_the_real_detector_sees_people(monkeypatch, detector):
    """Stands for an imx708 streaming: RGB888 buffers (B, G, R bytes) pass through unconverted."""
    frames = clip_frames(100, 8)  # people are in the room from about frame 80
    fake = fake_picamera2([IMX708], frames)
    monkeypatch.setitem(sys.modules, "picamera2", fake)
    src = PicameraSource("picam", width=1280, height=720, fps=None)
    src.open()
    try:
        (config,) = fake.log["configs"]
        assert config["main"] == {"size": (1280, 720), "format": "RGB888"}
        assert src.size == (768, 432) and src.fps == pytest.approx(30.0, abs=0.01)  # what it gave
        got = [src.read() for _ in range(len(frames))]
    finally:
        src.close()
    assert [f.index for f in got] == list(range(len(frames)))
    assert all(np.array_equal(f.image, want) for f, want in zip(got, frames))  # no conversion
    assert all(b.timestamp >= a.timestamp for a, b in zip(got, got[1:]))
    assert sum("person" in detector.detect(f.image).labels for f in got) >= len(frames) // 2
    assert fake.log["closed"] == 1


def test_requested_frame_rate_is_passed_and_reported(monkeypatch):
    fake = fake_picamera2([IMX708], clip_frames(0, 1))
    monkeypatch.setitem(sys.modules, "picamera2", fake)
    src = PicameraSource("picam:0", fps=15)
    src.open()
    src.close()
    assert fake.log["configs"][0]["controls"] == {"FrameRate": 15.0}


def test_lost_camera_then_reconnect(monkeypatch):
    """Stands for libcamera timing out mid-stream: SourceLost, then close/open resumes the count."""
    fake = fake_picamera2([IMX708], clip_frames(0, 2), fail_after=2)
    monkeypatch.setitem(sys.modules, "picamera2", fake)
    src = PicameraSource("picam")
    src.open()
    assert [src.read().index for _ in range(2)] == [0, 1]
    with pytest.raises(SourceLost, match="stopped delivering frames: Camera frontend has timed out!"):
        src.read()
    src.close()
    src.open()
    assert src.read().index == 2
    src.close()
    with pytest.raises(SourceLost):
        src.read()


def test_registry_routes_picam(monkeypatch):
    """`open_source('picam:0')` reaches this class through the sources registry."""
    from camapp.sources import open_source

    monkeypatch.setitem(sys.modules, "picamera2", fake_picamera2([IMX708], clip_frames(0, 1)))
    src = open_source("picam:0", width=640, height=480)
    try:
        assert isinstance(src, PicameraSource) and src.live and src.read() is not None
    finally:
        src.close()
