"""What front-ends ask about detector devices, answered from the device registry
(`camapp.detect.DEVICES`), so the desktop app and the browser view never name a device."""

from __future__ import annotations

from camapp.detect import device_kind, usable_devices
from camapp.errors import CamappError


def device_label(device: str) -> str:
    """The app's name for `device` ("edgetpu:usb:0" -> "Edge TPU"); an unregistered one as typed."""
    try:
        return device_kind(device).label
    except CamappError:
        return device


def runs_on_cpu_threads(device: str) -> bool:
    """Whether the thread count applies to `device` (the CPU's interpreters; not an accelerator)."""
    try:
        return device_kind(device).cpu_threads
    except CamappError:
        return False


def needs_default_model(device: str) -> bool:
    """Whether `device` runs the catalog's default model itself with nothing to fall back on, so a
    missing default model is the user's to fetch (accelerators that fall back decide for themselves)."""
    kind = device_kind(device)
    return kind.catalog_model and not kind.fallback


def loads_before_source(device: str, source: str) -> bool:
    """Whether `device` drives its own source (the AI Camera), so its detector must be loaded before
    the source opens, the reverse of the usual order; `CamappError` if `source` is not that source."""
    try:
        needs = device_kind(device).source
    except CamappError:
        return False  # the open itself names the unknown device
    if needs is None:
        return False
    if source != needs and not source.startswith(f"{needs}:"):
        raise CamappError(f"--device {device} works only with --source {needs} or {needs}:N, not {source}")
    return True


def check_region(device: str) -> None:
    """A detection region is a crop of the host's frames: a device whose network runs on the
    camera itself (the AI Camera) never sees it, so asking for both is refused in one line."""
    try:
        own_source = device_kind(device).source
    except CamappError:
        return
    if own_source is not None:
        raise CamappError(
            f"a detection region (--roi) does not apply to --device {device}: its network runs on "
            "the camera and sees the whole frame"
        )


def list_accelerators() -> list[tuple[str, str]]:
    """(device, label) for every usable device but the CPU (the app always lists that one)."""
    return [(f.device, f.label) for f in usable_devices() if f.device != "cpu"]
