"""Detector backends, chosen by device name from one explicit registry.

A device is one module with `DEVICE` (a `DeviceKind`: name, label, how it is used),
`open_detector(model, *, labels, device, **options)` and `probe(sysfs) -> Probe`; registering it
is one line in `DEVICES`. The `--device` help, `camapp devices` and the app's device list are
all written from here. Device modules import their vendor libraries only when opened or probed.
"""

from __future__ import annotations

from collections.abc import Callable
from importlib import import_module
from pathlib import Path
from types import ModuleType
from typing import Any

from camapp.detect.base import Detector, DeviceKind, Found, Probe
from camapp.errors import CamappError

# device name -> the module that drives it
DEVICES: dict[str, str] = {
    "cpu": "camapp.detect.cpu",
    "edgetpu": "camapp.detect.edgetpu",
    "hailo": "camapp.detect.hailo",
    "imx500": "camapp.detect.imx500",
}


def _module(name: str) -> ModuleType:
    target = DEVICES.get(name)
    if target is None:
        raise CamappError(f"unknown device {name!r}: use one of {', '.join(DEVICES)}")
    return import_module(target)


def device_kind(device: str) -> DeviceKind:
    """The registry's entry for `device` ("edgetpu:usb:0" -> the Edge TPU's); unknown is a user error."""
    kind: DeviceKind = _module(device.split(":", 1)[0]).DEVICE
    return kind


def device_kinds() -> list[DeviceKind]:
    """Every registered device, in registry order."""
    return [device_kind(name) for name in DEVICES]


def device_help() -> str:
    """The `--device` help: every registered device's usage."""
    return ", ".join(k.usage for k in device_kinds()) + "; default: cpu; `camapp devices` lists what is here"


def probe_devices(sysfs: Path | None = None) -> list[tuple[DeviceKind, Probe]]:
    """Each device's probe; one that fails unexpectedly reports that as its line, never a traceback."""
    from camapp.hw.usb import SYSFS

    found = []
    for name in DEVICES:
        module = _module(name)
        try:
            result: Probe = module.probe(sysfs or SYSFS)
        except Exception as exc:  # a broken vendor install must not hide the other devices
            text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            result = Probe((f"  {module.DEVICE.about}: probing failed: {text}",))
        found.append((module.DEVICE, result))
    return found


def usable_devices(sysfs: Path | None = None) -> list[Found]:
    """The devices ready to use, in registry order (the app's device list)."""
    return [f for _, p in probe_devices(sysfs) for f in p.found]


def open_detector(
    model: str | Path | None = None,
    *,
    labels: str | Path | None = None,
    device: str = "cpu",
    fallback: bool = True,
    **options: Any,
) -> Detector:
    """Build a detector for `device` ("cpu", "edgetpu", "edgetpu:usb:0", "hailo", ...).

    `model` is a catalog name or a path; None means the device's default.
    `fallback` (devices that can): run on the CPU, with a warning, when the device cannot be used.
    """
    module = _module(device.split(":", 1)[0])
    if module.DEVICE.fallback:
        options["fallback"] = fallback
    factory: Callable[..., Detector] = module.open_detector
    return factory(model, labels=labels, device=device, **options)


__all__ = [
    "DEVICES",
    "Detector",
    "DeviceKind",
    "Found",
    "Probe",
    "device_help",
    "device_kind",
    "device_kinds",
    "open_detector",
    "probe_devices",
    "usable_devices",
]
