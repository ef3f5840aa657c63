"""What every detector backend offers, and the SSD pre/post-processing they share.

Raw tensors stop here: backends turn them into `Detections` in source pixels.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from typing import Protocol

import cv2
import numpy as np

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


def preprocess(image_bgr: np.ndarray, size: tuple[int, int], dtype: type) -> np.ndarray:
    """As in training: BGR->RGB, stretch to the input size (no letterbox), batch of one."""
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
