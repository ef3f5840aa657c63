"""What every detector backend offers, and the SSD pre/post-processing they share.

Raw tensors stop here: backends turn them into `Detections` in source pixels.
"""

from __future__ import annotations

import functools
import time
from collections import deque
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple, Protocol

import cv2
import numpy as np

from camapp.errors import CamappError
from camapp.types import Detections


class Detector(Protocol):
    """An object detector whose live settings may be changed between frames."""

    names: tuple[str, ...]
    device: str
    threshold: float
    classes: frozenset[int] | None
    last_invoke_ms: float

    @property
    def input_size(self) -> int: ...

    @property
    def input_sizes(self) -> tuple[int, ...]: ...

    def set_input_size(self, size: int) -> None: ...

    def input_tensor(self, image_bgr: np.ndarray) -> np.ndarray: ...

    def detect(self, image_bgr: np.ndarray, tensor: np.ndarray | None = None) -> Detections: ...

    def infer(self, image_bgr: np.ndarray, tensor: np.ndarray | None = None) -> Callable[[], Detections]:
        """`detect` in two steps: invoke now, decode the boxes when the result is called."""
        ...

    def close(self) -> None: ...

    # Optional capabilities, read with getattr by the session and the front-ends:
    #   regions: ZoomLadder | None -- the network's input is fixed and the slider's sizes pick
    #     the inference region instead (a centred digital zoom); `set_input_size` moves it.
    #   watch_progress(listener) -- the device reports slow start-up steps (a firmware upload)
    #     as listener(what, done, total).


ProgressListener = Callable[[str, int, int], None]  # (what, done, total), e.g. bytes uploaded


def preprocess(image_bgr: np.ndarray, size: tuple[int, int], dtype: type) -> np.ndarray:
    """As in training: BGR->RGB, stretch to the input size (no letterbox), batch of one.

    INTER_LINEAR rounds differently on ARM and x86 (tensors one grey level apart in about a fifth
    of values; detections agree within a few pixels). INTER_LINEAR_EXACT would make them
    identical but costs 3.5x as much: 1.37 against 0.38 ms for 1920x1080 -> 300 on 2 shared x86
    cores (`scripts/bench-resize`), so it is not used.
    """
    h, w = size
    resized = cv2.resize(image_bgr, (w, h), interpolation=cv2.INTER_LINEAR)
    rgb = cv2.cvtColor(resized, cv2.COLOR_BGR2RGB)
    if dtype == np.float32:
        rgb = (rgb.astype(np.float32) - 127.5) / 127.5
    elif dtype == np.int8:
        rgb = (rgb.astype(np.int16) - 128).astype(np.int8)
    return rgb[np.newaxis]


def postprocess(
    boxes: np.ndarray,
    classes: np.ndarray,
    scores: np.ndarray,
    count: int,
    image_shape: tuple[int, ...],
    names: tuple[str, ...],
    threshold: float,
    class_filter: Collection[int] | None,
) -> Detections:
    """Normalized (ymin, xmin, ymax, xmax) rows -> xyxy in source pixels, filtered.

    Filters first and builds one `Detections`: this runs for every frame (on the pipeline's
    delivery thread).
    """
    n = max(0, min(int(count), len(scores)))
    ids = np.rint(classes[:n]).astype(np.int32)
    keep = scores[:n] >= threshold
    if class_filter is not None:
        keep &= np.isin(ids, np.fromiter(class_filter, np.int32, len(class_filter)))
    h, w = image_shape[:2]
    b = np.clip(boxes[:n][keep].astype(np.float32), 0.0, 1.0)
    xyxy = np.stack([b[:, 1] * w, b[:, 0] * h, b[:, 3] * w, b[:, 2] * h], axis=1)
    xyxy[:, 2:] = np.maximum(xyxy[:, 2:], xyxy[:, :2])
    return Detections(xyxy, scores[:n][keep], ids[keep], names)


# --- devices: what the registry knows of each, and what a probe found -------------------------


@dataclass(frozen=True)
class DeviceKind:
    """What a device module declares (its `DEVICE`); the `--device` help, `camapp devices` and
    the app's device list are written from these, so a new device needs no edit elsewhere."""

    name: str  # what --device starts with: "edgetpu"
    label: str  # the app's device list: "Edge TPU"
    usage: str  # the --device help: "edgetpu[:usb[:N]]"
    about: str  # `camapp devices`: "Coral Edge TPU (USB or PCIe)"
    cpu_threads: bool = False  # runs on CPU threads: --threads, lanes and the app's thread control apply
    fallback: bool = False  # falls back to the CPU when unusable (--no-fallback makes that an error)
    catalog_model: bool = True  # runs camapp's catalog models (the default one when --model is not given)
    source: str | None = None  # the only source it works with ("picam"), if any


@dataclass(frozen=True)
class Found:
    """One usable device a probe found: what `--device` takes and what the app lists."""

    device: str  # "edgetpu:usb:0"
    label: str  # "Edge TPU 1 (USB 2: slow)"


@dataclass(frozen=True)
class Probe:
    """What a device module's `probe(sysfs)` reports: lines for `camapp devices` (what was found,
    and the fix when something is missing) and the devices ready to use."""

    lines: tuple[str, ...]
    found: tuple[Found, ...] = field(default_factory=tuple)


# --- the inference region of a fixed-input network: a centred digital zoom --------------------

ZOOMS = (1.0, 1.5, 2.0, 3.0, 4.0)  # the regions the slider offers: 1 = the whole frame


@dataclass
class ZoomLadder:
    """The slider of a network whose input size is fixed: each stop is a centred region of the
    frame (1/zoom of its width and height) that the network sees at its own input size.

    A stop is named by the size the whole frame is then seen at (the input times the zoom), so
    the slider keeps its meaning on every device: further right, more pixels per object (here
    for a narrower view at the same speed; on the CPU ladder for a slower network).
    """

    native: int  # the network's input (width)
    zooms: tuple[float, ...] = ZOOMS
    zoom: float = 1.0

    def __post_init__(self) -> None:
        self.zooms = tuple(sorted({float(z) for z in (*self.zooms, self.zoom)}))

    @property
    def sizes(self) -> tuple[int, ...]:
        return tuple(round(self.native * z) for z in self.zooms)

    @property
    def size(self) -> int:
        return round(self.native * self.zoom)

    def zoom_for(self, size: int, device: str) -> float:
        """The zoom of the stop named `size`; another size is a user error."""
        for zoom, named in zip(self.zooms, self.sizes):
            if named == size:
                return zoom
        stops = ", ".join(map(str, self.sizes))
        raise CamappError(
            f"input size {size} is not available on {device}: its network takes {self.native}; "
            f"the sizes {stops} pick the region it sees (a centred zoom of 1x to {self.zooms[-1]:g}x)"
        )


def centre_crop(image: np.ndarray, zoom: float) -> tuple[np.ndarray, int, int]:
    """The centred 1/zoom of `image` (a view, no copy) and its top-left corner in `image`."""
    if zoom == 1.0:
        return image, 0, 0
    h, w = image.shape[:2]
    cw, ch = max(1, round(w / zoom)), max(1, round(h / zoom))
    x0, y0 = (w - cw) // 2, (h - ch) // 2
    return image[y0 : y0 + ch, x0 : x0 + cw], x0, y0


def shifted(found: Detections, dx: int, dy: int) -> Detections:
    """`found` moved by (dx, dy): boxes from a crop, in the pixels of the frame it came from."""
    if not (dx or dy) or not len(found):
        return found
    boxes = found.boxes + np.array([dx, dy, dx, dy], np.float32)
    return Detections(boxes, found.scores, found.class_ids, found.names)


# --- the shared SSD layer over a small backend ------------------------------------------------


class SSDOutputs(NamedTuple):
    """An SSD head's decoded outputs, as the TFLite post-process op lays them out: `count` rows of
    normalized (ymin, xmin, ymax, xmax) boxes with class ids and scores."""

    boxes: np.ndarray
    classes: np.ndarray
    scores: np.ndarray
    count: int


class Backend(Protocol):
    """The device-specific part of a detector: a loaded network that takes one input tensor.

    Everything else (resizing the image, thresholds, class filter, labels, mapping boxes to
    source pixels) is the shared `SSDDetector`'s, so a backend is short.
    """

    input_shape: tuple[int, int]  # (height, width) the network takes
    input_dtype: type

    def invoke(self, tensor: np.ndarray) -> SSDOutputs: ...

    def close(self) -> None: ...


class SSDDetector:
    """A `Detector` on a fixed-input `Backend`: one input size, so the resolution slider offers
    only that one (`fixed_input_reason` says why), or, with `zooms`, the inference regions: a
    centred crop of the frame, resized to the network's input, boxes mapped back to the frame."""

    def __init__(
        self,
        backend: Backend,
        names: Sequence[str],
        *,
        device: str,
        threshold: float = 0.5,
        classes: Collection[int] | None = None,
        fixed_input_reason: str = "",
        warnings: Sequence[str] = (),
        zooms: Sequence[float] = (),
    ) -> None:
        self.backend = backend
        self.names = tuple(names)
        self.device = device
        self.threshold = float(threshold)
        self.classes = frozenset(classes) if classes is not None else None
        self.last_invoke_ms = 0.0
        self.fixed_input_reason = fixed_input_reason
        self.warnings = list(warnings)
        self.regions = ZoomLadder(self.native_size, tuple(zooms)) if zooms else None
        # tensors made ahead (the capture thread) with the region they were cut from: one made
        # before the region moved is made again rather than decoded against the new region
        self._made: deque[tuple[np.ndarray, float]] = deque(maxlen=4)

    @property
    def native_size(self) -> int:
        return int(self.backend.input_shape[0])

    @property
    def input_size(self) -> int:
        return self.regions.size if self.regions else self.native_size

    @property
    def input_sizes(self) -> tuple[int, ...]:
        return self.regions.sizes if self.regions else (self.native_size,)

    def _zoom_for(self, size: int) -> float:
        if self.regions:
            return self.regions.zoom_for(size, self.device)
        if size != self.native_size:
            raise CamappError(
                f"input size {size} is not available on {self.device}: {self.fixed_input_reason}"
            )
        return 1.0

    def set_input_size(self, size: int) -> None:
        """The one input size, or with regions the stop whose centred region the network sees."""
        zoom = self._zoom_for(size)
        if self.regions:
            self.regions.zoom = zoom

    def prepare(self, sizes: Sequence[int] | None = None, timeout: float | None = None) -> None:
        for size in sizes or ():
            self._zoom_for(size)  # nothing to build: one network serves every region

    def input_tensor(self, image_bgr: np.ndarray) -> np.ndarray:
        zoom = self.regions.zoom if self.regions else 1.0
        crop, _, _ = centre_crop(image_bgr, zoom)
        tensor = preprocess(crop, self.backend.input_shape, self.backend.input_dtype)
        if self.regions:
            self._made.append((tensor, zoom))
        return tensor

    def invoke_times(self, size: int, image_bgr: np.ndarray, runs: int = 20) -> list[float]:
        """Invoke-only milliseconds of `runs` runs on one image (for the slider's label); the
        live region stays where it is (the network, so its time, is the same for every region)."""
        self._zoom_for(size)
        tensor = preprocess(image_bgr, self.backend.input_shape, self.backend.input_dtype)
        times = []
        for _ in range(runs):
            t0 = time.perf_counter()
            self.backend.invoke(tensor)
            times.append((time.perf_counter() - t0) * 1000.0)
        return times

    def detect(self, image_bgr: np.ndarray, tensor: np.ndarray | None = None) -> Detections:
        return self.infer(image_bgr, tensor)()

    def infer(self, image_bgr: np.ndarray, tensor: np.ndarray | None = None) -> Callable[[], Detections]:
        """Invoke now; the returned call maps the boxes to `image_bgr`'s pixels (through the
        region's crop when the slider set one)."""
        if image_bgr is None or image_bgr.ndim != 3 or image_bgr.shape[2] != 3:
            raise ValueError("detect() needs an HxWx3 BGR image")
        zoom = self.regions.zoom if self.regions else 1.0
        crop, dx, dy = centre_crop(image_bgr, zoom)
        h, w = self.backend.input_shape
        if self.regions and not any(t is tensor and z == zoom for t, z in self._made):
            tensor = None
        if tensor is None or tensor.shape != (1, h, w, 3) or tensor.dtype != self.backend.input_dtype:
            tensor = preprocess(crop, self.backend.input_shape, self.backend.input_dtype)
        t0 = time.perf_counter()
        out = self.backend.invoke(tensor)
        self.last_invoke_ms = (time.perf_counter() - t0) * 1000.0
        args = (out.boxes, out.classes, out.scores, out.count, crop.shape, self.names)
        decode = functools.partial(postprocess, *args, self.threshold, self.classes)
        return decode if not (dx or dy) else lambda: shifted(decode(), dx, dy)

    def close(self) -> None:
        self.backend.close()


def fixed_input_size(options: dict[str, Any], native: int, device: str) -> None:
    """A fixed-input device: asking for another input size is a user error, not a silent change."""
    asked = options.get("input_size")
    if asked is not None and asked != native:
        raise CamappError(f"input size {asked} is not available on {device}: the network takes {native}")


def labels_for(model: Path, labels: str | Path | None) -> tuple[tuple[str, ...], Path | None]:
    """A device model's class names: `--labels`, else a label file beside the model, else none."""
    from camapp.labels import load_labels
    from camapp.store.resolve import LABEL_NAMES

    path = (
        Path(labels)
        if labels
        else next(
            (model.parent / n for n in (*LABEL_NAMES, "coco.txt") if (model.parent / n).is_file()), None
        )
    )
    return (load_labels(path) if path else ()), path


def first_line(exc: BaseException) -> str:
    """An exception as one line: vendor libraries raise multi-line texts."""
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
