"""The Raspberry Pi AI Camera (Sony IMX500): Picamera2's `IMX500` class, imported lazily, and the
link that carries each frame's metadata from the Pi camera source to the imx500 detector.

The network runs on the sensor; its outputs arrive in the metadata of the frame they were
computed on. So the detector cannot work from the image alone: the Pi camera source hands each
frame's metadata to the camera's `SensorLink`, and the detector looks it up by the frame's
image. Picamera2 requires the `IMX500` object (which sends the network firmware to the sensor)
to exist before the camera is opened, which is the order the session follows: detector first.

The firmware goes to the sensor when the camera starts and can take minutes the first time. The
link reads its progress as Picamera2's own progress bar does (`get_fw_upload_progress` of the
network stage, from the kernel's debugfs) and hands it to a listener instead of the terminal.
"""

from __future__ import annotations

import os
import threading
from collections import deque
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from camapp.errors import DeviceError

INSTALL_HINT = (
    "on Raspberry Pi OS run `sudo apt install imx500-all python3-picamera2` and create the venv "
    "with --system-site-packages"
)
MODELS = Path("/usr/share/imx500-models")  # Raspberry Pi's imx500-models package
DEFAULT_NETWORK = MODELS / "imx500_network_ssd_mobilenetv2_fpnlite_320x320_pp.rpk"
RECENT = 8  # frames whose metadata is kept: more than the pipeline's queue holds
UPLOAD = "Uploading network firmware to the AI Camera"
FW_NETWORK_STAGE = 2  # Picamera2's number for the network firmware's stage of the upload
UPLOAD_POLL_S = 0.5  # as often as Picamera2's own progress bar reads it
UPLOAD_DONE = 0.95  # Picamera2's bar ends there: the last chunk is not always counted


def import_imx500() -> Any:
    """Picamera2's `IMX500` class, or `DeviceError` with the install line."""
    try:
        from picamera2.devices import IMX500
    except ImportError as exc:
        raise DeviceError(
            f"imx500: Picamera2's IMX500 support is not importable ({exc}): {INSTALL_HINT}"
        ) from None
    return IMX500


class SensorLink:
    """One AI Camera's network, shared by the source that streams it and the detector reading it."""

    def __init__(self, imx500: Any) -> None:
        self.imx500 = imx500
        self.camera_num = int(imx500.camera_num)
        self.camera: Any = None  # the started Picamera2, for convert_inference_coords
        self._recent: deque[tuple[np.ndarray, dict[str, Any]]] = deque(maxlen=RECENT)
        self._lock = threading.Lock()
        self.progress: Callable[[str, int, int], None] | None = None  # hears the firmware upload
        self.network_running = threading.Event()  # set by the first frame with network outputs
        self._detached = threading.Event()

    @property
    def reports_upload(self) -> bool:
        """Whether the upload's progress is readable (Picamera2's `fw_progress` is not NONE)."""
        return bool(getattr(self.imx500, "fw_progress", 0)) and callable(
            getattr(self.imx500, "get_fw_upload_progress", None)
        )

    @property
    def inference_rate(self) -> float | None:
        """The network's frame rate (its intrinsics), which the camera should run at."""
        intrinsics = self.imx500.network_intrinsics
        rate = intrinsics.inference_rate if intrinsics is not None else None
        return float(rate) if rate else None

    def attach(self, camera: Any) -> None:
        """The source opened the AI Camera as `camera` (called before it starts streaming, which
        is when the firmware goes to the sensor): follow the upload until it ends."""
        self.camera = camera
        self._detached.clear()
        if self.progress is not None and self.reports_upload and not self.network_running.is_set():
            threading.Thread(target=self._follow_upload, name="camapp-imx500-upload", daemon=True).start()

    def _follow_upload(self) -> None:
        """Report (done, total) bytes of the network stage on each whole-percent change; 100% at
        Picamera2's end of the upload or once the network's outputs arrive."""
        said = -1
        total = 0
        while not self._detached.wait(UPLOAD_POLL_S):
            listener = self.progress
            if listener is None:
                return
            if self.network_running.is_set():
                if said >= 0:
                    listener(UPLOAD, total, total)
                return
            try:
                done, total = (int(v) for v in self.imx500.get_fw_upload_progress(FW_NETWORK_STAGE))
            except Exception:  # debugfs went away or a read failed: the upload goes on unreported
                return
            if total <= 0:
                continue  # another stage (the loader, the main firmware) is uploading first
            if done > UPLOAD_DONE * total:
                listener(UPLOAD, total, total)
                return
            percent = 100 * done // total
            if percent != said:
                said = percent
                listener(UPLOAD, done, total)

    def detach(self) -> None:
        self._detached.set()
        self.camera = None
        with self._lock:
            self._recent.clear()

    def publish(self, image: np.ndarray, metadata: dict[str, Any]) -> None:
        """A frame's image and its metadata, as the source delivers it."""
        with self._lock:
            self._recent.append((image, metadata))

    def metadata_for(self, image: np.ndarray) -> dict[str, Any] | None:
        """The metadata of the frame whose image is `image` (the same object), if still kept."""
        with self._lock:
            return next((md for img, md in reversed(self._recent) if img is image), None)


_links: dict[int, SensorLink] = {}
_links_lock = threading.Lock()


def open_link(network: Path) -> SensorLink:
    """Send `network` (.rpk) to the AI Camera and register its link; `DeviceError` if there is none."""
    cls = import_imx500()
    try:
        imx500 = cls(str(network))
    except RuntimeError as exc:  # "IMX500: Requested camera dev-node not found", or an upload failure
        text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        if "not found" in text and "Firmware file" not in text:
            raise DeviceError(
                f"imx500: no Raspberry Pi AI Camera (IMX500) is attached ({text}): {attached_cameras()}"
            ) from None
        raise DeviceError(f"imx500: cannot load {network.name} onto the AI Camera: {text}") from None
    link = SensorLink(imx500)
    with _links_lock:
        _links[link.camera_num] = link
    return link


def attached_cameras() -> str:
    """What is attached instead, in words, from Picamera2's camera list."""
    try:
        from picamera2 import Picamera2

        models = [str(c.get("Model", "?")) for c in Picamera2.global_camera_info()]
    except Exception:  # no libcamera, or it failed: the advice stands on its own
        models = []
    if not models:
        return "no camera module is detected; check the ribbon cable and `rpicam-hello --list-cameras`"
    return f"the camera attached is {', '.join(models)}, not an imx500"


def close_link(link: SensorLink) -> None:
    with _links_lock:
        if _links.get(link.camera_num) is link:
            del _links[link.camera_num]
    link.detach()


def link_for(camera_num: int) -> SensorLink | None:
    """The AI Camera link for Pi camera `camera_num`, when an imx500 detector is loaded for it."""
    with _links_lock:
        return _links.get(camera_num)


def linked_cameras() -> list[int]:
    with _links_lock:
        return sorted(_links)


def find_sensors(sysfs: Path) -> list[str]:
    """IMX500 sensors the kernel bound (v4l-subdev devices whose driver module is imx500), found the
    way Picamera2's `IMX500` finds them, without opening anything."""
    found = []
    for subdev in sorted((Path(sysfs) / "class" / "video4linux").glob("v4l-subdev*")):
        module = subdev / "device" / "driver" / "module"
        if module.is_symlink() and "imx500" in os.readlink(module):
            found.append(subdev.name)
    return found
