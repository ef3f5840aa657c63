"""Which /dev/video* nodes are cameras, their names from sysfs, and what OpenCV can open.

A Pi exposes a dozen video nodes that are not cameras (codec, ISP, the CSI receiver): they are
named in sysfs, so they are recognised and not probed. The CSI receiver (`unicam`, `rp1-cfe`)
is a Pi camera module, which only libcamera can drive: it is reported as `--source picam`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from camapp.hw.usb import SYSFS

# sysfs names of Pi video nodes that are not cameras OpenCV can use
NOT_CAMERAS = re.compile(r"codec|isp|pispbe|rpivid|hevc|jpeg|encoder|decoder", re.IGNORECASE)
CSI_RECEIVERS = re.compile(r"unicam|rp1-cfe", re.IGNORECASE)
PROBE_SIZES: tuple[tuple[int, int], ...] = ((640, 480), (1280, 720), (1920, 1080))


@dataclass(frozen=True)
class VideoNode:
    device: str  # /dev/videoN
    name: str
    index: int  # 0 = the capture node; >0 = metadata and other secondary nodes

    @property
    def number(self) -> int:
        return int(self.device.removeprefix("/dev/video"))

    @property
    def kind(self) -> str:
        """'camera', 'csi' (Pi camera receiver: use picam), 'metadata' or 'other'."""
        if CSI_RECEIVERS.search(self.name):
            return "csi"
        if NOT_CAMERAS.search(self.name):
            return "other"
        return "camera" if self.index == 0 else "metadata"


@dataclass(frozen=True)
class CameraProbe:
    node: VideoNode
    opened: bool
    resolutions: tuple[tuple[int, int], ...] = field(default=())


def _read(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8", errors="replace").strip()
    except OSError:
        return None


def video_nodes(sysfs: Path = SYSFS) -> list[VideoNode]:
    """/dev/video* nodes as sysfs names them, in number order; empty without sysfs."""
    root = Path(sysfs) / "class" / "video4linux"
    if not root.is_dir():
        return []
    nodes = []
    for entry in root.iterdir():
        if not re.fullmatch(r"video\d+", entry.name):
            continue
        index = _read(entry / "index")
        nodes.append(
            VideoNode(
                f"/dev/{entry.name}",
                _read(entry / "name") or "",
                int(index) if index and index.isdigit() else 0,
            )
        )
    return sorted(nodes, key=lambda n: n.number)


def index_nodes(count: int = 3) -> list[VideoNode]:
    """Where there is no sysfs (macOS, Windows) cameras are only known by index: try the first few."""
    return [VideoNode(str(i), f"camera {i}", 0) for i in range(count)]


def _opencv_capture(device: str) -> Any:
    import cv2

    if device.isdigit():
        return cv2.VideoCapture(int(device))
    return cv2.VideoCapture(device, cv2.CAP_V4L2)


def probe(
    node: VideoNode,
    opener: Callable[[str], Any] = _opencv_capture,
    sizes: Sequence[tuple[int, int]] = PROBE_SIZES,
) -> CameraProbe:
    """Open the node with OpenCV and ask for each size; the sizes it settles on are what it offers."""
    import cv2

    cap = opener(node.device)
    try:
        if not cap.isOpened():
            return CameraProbe(node, False)
        got: list[tuple[int, int]] = []
        for w, h in sizes:
            cap.set(cv2.CAP_PROP_FRAME_WIDTH, w)
            cap.set(cv2.CAP_PROP_FRAME_HEIGHT, h)
            size = (int(cap.get(cv2.CAP_PROP_FRAME_WIDTH)), int(cap.get(cv2.CAP_PROP_FRAME_HEIGHT)))
            if size[0] > 0 and size[1] > 0 and size not in got:
                got.append(size)
        return CameraProbe(node, True, tuple(sorted(got)))
    finally:
        cap.release()
