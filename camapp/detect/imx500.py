"""The Raspberry Pi AI Camera (Sony IMX500): the network runs on the sensor, camapp reads its outputs.

`--source picam --device imx500 [--model FILE.rpk]`. The detections of a frame arrive in that
frame's metadata (`CnnOutputTensor`); Picamera2's `IMX500.get_outputs` unpacks them and
`convert_inference_coords` maps each box to the main stream's pixels, as Raspberry Pi's
examples/imx500/imx500_object_detection_demo.py does. camapp reads networks whose
post-processing runs on the sensor (boxes, scores, classes: the `*_pp.rpk` SSD networks of
imx500-models, the default being SSD MobileNet v2 FPNLite 320x320).

The network's input is fixed, so there is no input-size ladder; what can change is the region of
the sensor the network sees (`set_region`, Picamera2's `set_inference_roi_abs`), and the
resolution slider moves that instead: its stops are centred regions (`ZoomLadder`), and
`imx500:zoom=2` starts with the central half of the field of view, a digital zoom for small or
far objects. The boxes still arrive in the whole frame's pixels (Picamera2's conversion).

The first start sends the network's firmware to the sensor, which can take minutes: the link
reports its progress to whoever watches (`watch_progress`; the session shows it).
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from camapp.detect.base import ZOOMS, DeviceKind, Found, Probe, ProgressListener, ZoomLadder
from camapp.errors import DeviceError, ModelError
from camapp.hw import imx500 as hw
from camapp.types import Detections

DEVICE = DeviceKind(
    "imx500",
    "AI Camera (IMX500)",
    "imx500[:zoom=Z] (--source picam; --model FILE.rpk)",
    "Raspberry Pi AI Camera (Sony IMX500)",
    catalog_model=False,
    source="picam",
)
FULL_SENSOR = (4056, 3040)  # Picamera2's IMX500 full sensor resolution (its inference ROI space)


def parse_device(device: str) -> float:
    """`imx500` -> zoom 1, `imx500:zoom=2` -> 2 (the network sees the central 1/2 of the sensor)."""
    head, _, option = device.partition(":")
    if head != "imx500" or (option and not option.startswith("zoom=")):
        raise DeviceError(f"bad device {device!r}: use imx500 or imx500:zoom=Z (Z from 1 to 8)")
    try:
        zoom = float(option.removeprefix("zoom=")) if option else 1.0
    except ValueError:
        zoom = 0.0
    if not 1.0 <= zoom <= 8.0:
        raise DeviceError(f"bad device {device!r}: the zoom goes from 1 (whole sensor) to 8")
    return zoom


def central_region(zoom: float) -> tuple[int, int, int, int]:
    """(left, top, width, height) in full-sensor pixels of the centred 1/zoom of the field of view."""
    w, h = (round(side / zoom) for side in FULL_SENSOR)
    return (FULL_SENSOR[0] - w) // 2, (FULL_SENSOR[1] - h) // 2, w, h


class IMX500Detector:
    """A `Detector` whose network runs on the AI Camera; `infer` reads the frame's metadata."""

    def __init__(
        self,
        link: hw.SensorLink,
        names: Sequence[str],
        *,
        device: str = "imx500",
        threshold: float = 0.5,
        classes: Sequence[int] | None = None,
        network: str = "",
        zoom: float = 1.0,
    ) -> None:
        self.link = link
        self.imx500 = link.imx500
        self.names = tuple(names)
        self.device = device
        self.threshold = float(threshold)
        self.classes = frozenset(classes) if classes is not None else None
        self.last_invoke_ms = 0.0
        self.warnings: list[str] = []
        intrinsics = self.imx500.network_intrinsics
        self.bbox_normalization = bool(intrinsics and intrinsics.bbox_normalization)
        self.bbox_order = (intrinsics.bbox_order if intrinsics else None) or "yx"
        w, h = self.imx500.get_input_size()
        self._input = (int(w), int(h))
        self.fixed_input_reason = (
            f"the network runs on the sensor at {w}x{h}; the slider picks the region of the sensor "
            "it sees (a centred zoom)"
        )
        self.network = network
        self.region: tuple[int, int, int, int] = (0, 0, *FULL_SENSOR)
        self.regions = ZoomLadder(self._input[0], ZOOMS, zoom)

    @property
    def native_size(self) -> int:
        return self._input[0]

    @property
    def input_size(self) -> int:
        return self.regions.size

    @property
    def input_sizes(self) -> tuple[int, ...]:
        return self.regions.sizes

    def set_input_size(self, size: int) -> None:
        """The slider's stop `size`: the network now sees that centred region of the sensor."""
        zoom = self.regions.zoom_for(size, "imx500")
        if zoom != self.regions.zoom or self.region != central_region(zoom):
            self.set_region(central_region(zoom))
        self.regions.zoom = zoom

    def prepare(self, sizes: Sequence[int] | None = None, timeout: float | None = None) -> None:
        for size in sizes or ():
            self.regions.zoom_for(size, "imx500")  # nothing to build: the sensor's network serves all

    def watch_progress(self, listener: ProgressListener | None) -> None:
        """`listener(what, done, total)` hears the network firmware's upload to the sensor."""
        self.link.progress = listener

    def invoke_times(self, size: int, image_bgr: np.ndarray, runs: int = 20) -> list[float]:
        """No host-side invoke to time: the sensor's own DNN time once frames flow (0 before)."""
        return [self.last_invoke_ms]

    def set_region(self, region: tuple[int, int, int, int]) -> None:
        """What the network sees, as (left, top, width, height) in full-sensor pixels."""
        self.imx500.set_inference_roi_abs(tuple(int(v) for v in region))
        self.region = region

    def input_tensor(self, image_bgr: np.ndarray) -> np.ndarray:
        """Nothing to prepare on the host: the sensor made the network's input itself."""
        return np.empty((0,), np.uint8)

    def detect(self, image_bgr: np.ndarray, tensor: np.ndarray | None = None) -> Detections:
        return self.infer(image_bgr, tensor)()

    def infer(self, image_bgr: np.ndarray, tensor: np.ndarray | None = None) -> Callable[[], Detections]:
        """The frame's detections from its metadata, in its pixels (decoded now: it is cheap)."""
        camera = self.link.camera
        if camera is None:
            raise DeviceError(
                f"imx500 reads detections from the AI Camera's frames: use --source picam:{self.link.camera_num}"
            )
        metadata = self.link.metadata_for(image_bgr)
        if metadata is None:
            raise DeviceError(
                "imx500 detects on whole AI Camera frames as the camera delivers them; "
                "--roi and other host-side crops do not apply (use imx500:zoom=Z)"
            )
        found = self._decode(metadata, camera)
        return lambda: found

    def _decode(self, metadata: dict[str, Any], camera: Any) -> Detections:
        kpi = self.imx500.get_kpi_info(metadata)
        if kpi is not None:
            self.last_invoke_ms = float(kpi[0])
        outputs = self.imx500.get_outputs(metadata, add_batch=True)
        if outputs is None:  # no network output for this frame (the first frames after start-up)
            return Detections.empty(self.names)
        self.link.network_running.set()  # the network is on the sensor: any upload is over
        if len(outputs) < 3:
            raise ModelError(
                f"{self.network or 'the network'} has {len(outputs)} outputs: camapp reads networks whose "
                "post-processing runs on the sensor (boxes, scores, classes: the *_pp.rpk SSD networks)"
            )
        boxes = np.asarray(outputs[0][0], np.float32).reshape(-1, 4)
        scores = np.asarray(outputs[1][0], np.float32).reshape(-1)
        ids = np.rint(np.asarray(outputs[2][0], np.float32).reshape(-1)).astype(np.int32)
        if self.bbox_normalization:
            boxes = boxes / self._input[1]
        if self.bbox_order == "xy":
            boxes = boxes[:, [1, 0, 3, 2]]
        keep = scores >= self.threshold
        if self.classes is not None:
            keep &= np.isin(ids, np.fromiter(self.classes, np.int32, len(self.classes)))
        rows = []
        for box in boxes[keep]:  # Picamera2's own mapping: sensor crop, ROI, ISP scaling
            x, y, w, h = self.imx500.convert_inference_coords(tuple(float(v) for v in box), metadata, camera)
            rows.append((x, y, x + max(w, 0), y + max(h, 0)))
        xyxy = np.array(rows, np.float32).reshape(-1, 4)
        return Detections(xyxy, scores[keep], ids[keep], self.names)

    def close(self) -> None:
        hw.close_link(self.link)


def _names(imx500: Any, labels: str | Path | None) -> tuple[str, ...]:
    """`--labels`, else the network's own labels, else COCO (the imx500-models SSD's classes)."""
    from camapp.labels import load_labels
    from camapp.store.catalog import catalog_dir

    if labels:
        return load_labels(labels)
    intrinsics = imx500.network_intrinsics
    if intrinsics is not None and intrinsics.labels:
        names = list(intrinsics.labels)
        if intrinsics.ignore_dash_labels:  # the class ids then count only the named labels
            names = [n for n in names if n and n != "-"]
        return tuple(names)
    return load_labels(catalog_dir() / "coco_labelmap.txt")


def open_detector(
    model: str | Path | None,
    *,
    labels: str | Path | None = None,
    device: str = "imx500",
    threshold: float = 0.5,
    classes: Sequence[int] | None = None,
    warn: Callable[[str], None] | None = None,
    **options: Any,
) -> IMX500Detector:
    """Send the network to the AI Camera (the default SSD without `model`) and read its outputs."""
    zoom = parse_device(device)
    network = Path(model).expanduser() if model else hw.DEFAULT_NETWORK
    if network.suffix != ".rpk":
        raise ModelError(f"--device imx500 runs a network packaged for the sensor (.rpk), not {network.name}")
    if not network.is_file():
        hint = " (sudo apt install imx500-all)" if network == hw.DEFAULT_NETWORK else ""
        raise ModelError(f"model file not found: {network}{hint}")
    link = hw.open_link(network)
    try:
        intrinsics = link.imx500.network_intrinsics
        if intrinsics is not None and intrinsics.task not in (None, "object detection"):
            raise ModelError(f"{network.name} is a {intrinsics.task} network, not object detection")
        if intrinsics is not None and intrinsics.postprocess:
            raise ModelError(
                f"{network.name} needs host-side {intrinsics.postprocess} post-processing; camapp reads "
                "networks post-processed on the sensor (the *_pp.rpk SSD networks)"
            )
        detector = IMX500Detector(
            link,
            _names(link.imx500, labels),
            device=device,
            threshold=threshold,
            classes=classes,
            network=network.name,
            zoom=zoom,
        )
        if options.get("input_size") is not None:  # --input-size: a stop of the region slider
            detector.set_input_size(int(options["input_size"]))
        elif zoom != 1.0:
            detector.set_region(central_region(zoom))
    except BaseException:
        hw.close_link(link)
        raise
    say = warn or (lambda text: print(f"camapp: {text}", file=sys.stderr))
    if not link.reports_upload:  # FwProgressType.NONE: the kernel's progress files are not readable
        say("imx500: sending the network to the AI Camera; the first start can take minutes")
    return detector


def probe(sysfs: Path) -> Probe:
    """IMX500 sensors the kernel bound, and whether Picamera2's IMX500 support imports."""
    sensors = hw.find_sensors(sysfs)
    if not sensors:
        return Probe((f"  {DEVICE.about}: none found (no v4l-subdev driven by imx500)",))
    lines = [f"  {DEVICE.about}: {', '.join(sensors)}"]
    try:
        hw.import_imx500()
    except DeviceError as exc:
        return Probe((*lines, f"    fix: {str(exc).removeprefix('imx500: ')}"))
    net = hw.DEFAULT_NETWORK
    if not net.is_file():
        lines.append(f"    the default network {net.name} is missing: sudo apt install imx500-all")
    lines.append("  use it: --source picam --device imx500 (--model FILE.rpk for another network)")
    return Probe(tuple(lines), (Found("imx500", DEVICE.label),))
