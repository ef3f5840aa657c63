"""Detector backends, chosen by device name from an explicit registry."""

from __future__ import annotations

from collections.abc import Callable
from importlib import import_module
from pathlib import Path
from typing import Any

from camapp.detect.base import Detector
from camapp.errors import CamappError

# device name -> "module:function" building a Detector; imported only when asked for.
DEVICES: dict[str, str] = {
    "cpu": "camapp.detect.cpu:open_cpu",
    "edgetpu": "camapp.detect.edgetpu:open_edgetpu",
}


def open_detector(
    model: str | Path | None = None,
    *,
    labels: str | Path | None = None,
    device: str = "cpu",
    fallback: bool = True,
    **options: Any,
) -> Detector:
    """Build a detector for `device` ("cpu", "edgetpu", "edgetpu:usb:0").

    `model` is a catalog name or a `.tflite` path; None means the default catalog model.
    `fallback` (accelerators only): run on the CPU, with a warning, when the device cannot be used.
    """
    kind = device.split(":", 1)[0]
    target = DEVICES.get(kind)
    if target is None:
        raise CamappError(f"unknown device {device!r}: use one of {', '.join(DEVICES)}")
    module, func = target.split(":")
    factory: Callable[..., Detector] = getattr(import_module(module), func)
    if kind != "cpu":
        options["fallback"] = fallback
    return factory(model, labels=labels, device=device, **options)


__all__ = ["DEVICES", "Detector", "open_detector"]
