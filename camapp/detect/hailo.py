"""The Raspberry Pi AI Kit / AI HAT+ (Hailo-8L, Hailo-8) through Picamera2's `Hailo` class.

camapp reads HEFs compiled with Hailo's NMS post-processing on the chip (the model zoo's
`ssd_mobilenet_v1` and `yolov8s`, and Raspberry Pi's `hailo-models` package): their one output,
in Hailo's "NMS by class" FLOAT32 format, is a list with one array per class of
[ymin, xmin, ymax, xmax, score] rows, normalized to the input, which is how picamera2's
examples/hailo/detect.py reads it. A HEF is compiled for one input size, so the resolution
slider picks the inference region instead: a centred crop of the frame (a digital zoom for
small or far objects), resized to the HEF's input; boxes come back in the whole frame's pixels.
`hailo_platform` and picamera2 are imported only when used.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from camapp.detect.base import (
    ZOOMS,
    DeviceKind,
    Found,
    Probe,
    SSDDetector,
    SSDOutputs,
    first_line,
    labels_for,
)
from camapp.errors import CamappError, DeviceError, ModelError

DEVICE = DeviceKind(
    "hailo",
    "Hailo AI HAT+",
    "hailo (--model FILE.hef)",
    "Raspberry Pi AI Kit / AI HAT+ (Hailo-8L, Hailo-8)",
    catalog_model=False,
)
INSTALL_HINT = (
    "on Raspberry Pi OS run `sudo apt install hailo-all python3-picamera2` (HailoRT, its Python "
    "bindings, the PCIe driver), reboot, and create the venv with --system-site-packages"
)
PI_MODELS = Path("/usr/share/hailo-models")  # Raspberry Pi's hailo-models package


def import_hailo() -> Any:
    """Picamera2's `Hailo` class, or `DeviceError` with the install line."""
    try:
        from picamera2.devices.hailo import Hailo
    except ImportError as exc:
        raise DeviceError(
            f"hailo: Hailo's Python support is not importable ({exc}): {INSTALL_HINT}"
        ) from None
    return Hailo


def nms_by_class(output: Any) -> SSDOutputs:
    """Hailo's NMS-by-class output -> SSD rows: class id = the list index, boxes as they are."""
    if isinstance(output, dict) or not isinstance(output, (list, tuple)):
        raise ModelError(
            "the HEF's output is not Hailo's NMS-by-class list: camapp needs a HEF compiled with "
            "Hailo's NMS post-processing (one output)"
        )
    rows = [np.asarray(c, np.float32).reshape(-1, 5) for c in output]
    classes = np.concatenate([np.full(len(r), i, np.float32) for i, r in enumerate(rows)] or [np.zeros(0)])
    table = np.concatenate(rows) if rows else np.zeros((0, 5), np.float32)
    return SSDOutputs(table[:, :4], classes, table[:, 4], len(table))


class HailoBackend:
    """One HEF loaded on the Hailo device; `invoke` takes the shared layer's RGB uint8 tensor."""

    input_dtype = np.uint8

    def __init__(self, hailo: Any, path: Path) -> None:
        self.hailo = hailo
        shape = tuple(int(d) for d in hailo.get_input_shape())
        _, outputs = hailo.describe()
        if len(shape) != 3 or shape[2] != 3 or len(outputs) != 1:
            hailo.close()
            raise ModelError(
                f"{path.name} takes {shape} and has {len(outputs)} outputs: camapp needs an RGB detector "
                "compiled with Hailo's NMS post-processing (one output), e.g. the model zoo's "
                "ssd_mobilenet_v1 or yolov8s HEF"
            )
        self.input_shape = (shape[0], shape[1])

    def invoke(self, tensor: np.ndarray) -> SSDOutputs:
        try:
            output = self.hailo.run(tensor[0])  # Picamera2's Hailo adds the batch axis itself
        except Exception as exc:  # the chip or the PCIe link failed mid-run
            raise DeviceError(f"hailo: inference failed: {first_line(exc)}") from None
        return nms_by_class(output)

    def close(self) -> None:
        self.hailo.close()


def open_detector(
    model: str | Path | None,
    *,
    labels: str | Path | None = None,
    device: str = "hailo",
    threshold: float = 0.5,
    classes: Sequence[int] | None = None,
    warn: Callable[[str], None] | None = None,
    **options: Any,
) -> SSDDetector:
    """Load `model` (a .hef) on the Hailo device; a missing library, device or file is one line."""
    from camapp.labels import no_labels_warning

    if device != "hailo":
        raise DeviceError(f"bad device {device!r}: use hailo (the first Hailo device)")
    if model is None or not str(model).endswith(".hef"):
        example = next(iter(sorted(PI_MODELS.glob("*.hef"))), PI_MODELS / "yolov8s_h8l.hef")
        raise ModelError(
            f"--device hailo runs a .hef compiled for the Hailo chip: pass --model FILE.hef (e.g. {example})"
        )
    path = Path(model).expanduser()
    if not path.is_file():
        raise ModelError(f"model file not found: {path}")
    names, _ = labels_for(path, labels)
    hailo_cls = import_hailo()
    try:
        hailo = hailo_cls(str(path))
    except Exception as exc:  # HailoRT raises its own exception types
        raise DeviceError(
            f"hailo: cannot load {path.name} on the Hailo device: {first_line(exc)} "
            "(`hailortcli fw-control identify` should name the chip)"
        ) from None
    backend = HailoBackend(hailo, path)
    h, w = backend.input_shape
    detector = SSDDetector(
        backend,
        names,
        device=device,
        threshold=threshold,
        classes=classes,
        fixed_input_reason=(
            f"a HEF is compiled for one input size ({w}x{h}); the slider picks the region of the "
            "frame it sees (a centred crop)"
        ),
        zooms=ZOOMS,
    )
    try:
        if options.get("input_size") is not None:  # --input-size: a stop of the region slider
            detector.set_input_size(int(options["input_size"]))
    except CamappError:
        backend.close()  # the chip is free again for the next try
        raise
    if not names:
        detector.warnings.append(no_labels_warning(path))
        (warn or (lambda text: print(f"camapp: warning: {text}", file=sys.stderr)))(detector.warnings[-1])
    return detector


def probe(sysfs: Path) -> Probe:
    """The Hailo PCIe driver's devices (sysfs class hailo_chardev) and whether HailoRT imports."""
    chips = sorted(p.name for p in (Path(sysfs) / "class" / "hailo_chardev").glob("hailo*"))
    try:
        import_hailo()
        problem = None
    except DeviceError as exc:
        problem = str(exc).removeprefix("hailo: ")
    if not chips:
        lines = [
            f"  {DEVICE.about}: none found (no {sysfs}/class/hailo_chardev/hailo*)",
            "    fix: seat the HAT or M.2 card, then `sudo apt install hailo-all` and reboot",
        ]
        return Probe(tuple(lines))
    lines = [f"  {DEVICE.about}: {', '.join(f'/dev/{c}' for c in chips)}"]
    if problem:
        return Probe((*lines, f"    fix: {problem}"))
    example = next(iter(sorted(PI_MODELS.glob("*.hef"))), None)
    lines.append(f"  use it: --device hailo --model {example or 'FILE.hef'}")
    return Probe(tuple(lines), (Found("hailo", DEVICE.label),))
