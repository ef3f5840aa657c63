"""A FAKE detector device, for tests only: it shows that a device is one module plus one line in
`camapp.detect.DEVICES`. It runs no network: every invoke "finds" the same known box, so a
test can check where the shared SSD layer puts it in source pixels.

A device module declares `DEVICE`, `open_detector` and `probe`; this one is about as short as a
real one over the shared `SSDDetector` (see camapp/detect/hailo.py).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from camapp.detect.base import DeviceKind, Found, Probe, SSDDetector, SSDOutputs, fixed_input_size

DEVICE = DeviceKind("fake", "Fake device", "fake", "Fake device (tests only)", catalog_model=False)
INPUT = 320
# One "person" (class 0) at 0.9, normalized (ymin, xmin, ymax, xmax), as an SSD head reports it.
BOX = (0.25, 0.10, 0.75, 0.50)
SCORE = 0.9


class FakeBackend:
    input_shape = (INPUT, INPUT)
    input_dtype = np.uint8

    def __init__(self) -> None:
        self.tensors: list[tuple[int, ...]] = []
        self.closed = False

    def invoke(self, tensor: np.ndarray) -> SSDOutputs:
        self.tensors.append(tensor.shape)
        boxes = np.array([BOX, (0.0, 0.0, 0.1, 0.1)], np.float32)
        return SSDOutputs(boxes, np.array([0, 1], np.float32), np.array([SCORE, 0.2], np.float32), 2)

    def close(self) -> None:
        self.closed = True


def open_detector(
    model: str | Path | None, *, labels: str | Path | None = None, device: str = "fake", **options: Any
) -> SSDDetector:
    fixed_input_size(options, INPUT, device)
    return SSDDetector(
        FakeBackend(),
        ("person", "bicycle"),
        device=device,
        threshold=options.get("threshold", 0.5),
        fixed_input_reason=f"the fake network takes {INPUT}x{INPUT}",
    )


def probe(sysfs: Path) -> Probe:
    return Probe(("  Fake device: always here  -> --device fake",), (Found("fake", "Fake device"),))
