"""Camera discovery on a fake sysfs video4linux tree (this machine has no camera at all)."""

import cv2

from camapp.hw import video
from tests.hw.sysfs import video_tree


class FakeCapture:
    """Stands for `cv2.VideoCapture` on a UVC webcam: it settles on the nearest mode it has."""

    def __init__(self, modes=((640, 480), (1280, 720)), opened=True):
        self.modes, self.opened, self.want, self.released = modes, opened, [0, 0], False
        self.size = modes[0]

    def isOpened(self):
        return self.opened

    def set(self, prop, value):
        self.want[0 if prop == cv2.CAP_PROP_FRAME_WIDTH else 1] = value
        self.size = min(self.modes, key=lambda m: abs(m[0] - self.want[0]) + abs(m[1] - self.want[1]))
        return True

    def get(self, prop):
        return float(self.size[0] if prop == cv2.CAP_PROP_FRAME_WIDTH else self.size[1])

    def release(self):
        self.released = True


def test_pi_nodes_are_classified(tmp_path):
    """Stands for a Pi 4 with a USB webcam and a camera module: codec/ISP nodes are not cameras."""
    sysfs = video_tree(
        tmp_path,
        {
            "video0": "unicam-image",
            "video1": "HD Pro Webcam C920",
            "video2": "HD Pro Webcam C920 metadata",
            "video10": "bcm2835-codec-decode",
            "video13": "bcm2835-isp",
        },
    )
    nodes = video.video_nodes(sysfs)
    assert [n.device for n in nodes] == [
        "/dev/video0",
        "/dev/video1",
        "/dev/video2",
        "/dev/video10",
        "/dev/video13",
    ]
    assert [n.kind for n in nodes] == ["csi", "camera", "metadata", "other", "other"]


def test_probe_lists_the_sizes_the_camera_settles_on():
    node = video.VideoNode("/dev/video1", "HD Pro Webcam C920", 0)
    caps = []

    def opener(device):
        caps.append(FakeCapture())
        return caps[-1]

    result = video.probe(node, opener)
    assert result.opened and result.resolutions == ((640, 480), (1280, 720))
    assert caps[0].released


def test_probe_of_a_busy_camera():
    """Stands for a webcam held by another program: OpenCV reports it as not opened."""
    node = video.VideoNode("/dev/video0", "cam", 0)
    result = video.probe(node, lambda d: FakeCapture(opened=False))
    assert not result.opened and result.resolutions == ()


def test_no_sysfs_means_no_nodes(tmp_path):
    assert video.video_nodes(tmp_path) == []
