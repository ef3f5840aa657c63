"""Loading the Edge TPU delegate, and turning each way it fails into a reason with its fix.

The delegate is `libedgetpu` loaded through the TFLite runtime's own `load_delegate`. What the
runtime raises is terse, so it is read together with the USB scan:

- the library is missing: `OSError: libedgetpu.so.1: cannot open shared object file: No such
  file or directory` (LiteRT 2.3 on Linux, observed by calling it on a machine without it);
- the library loads but finds no usable Edge TPU: `ValueError: Failed to load delegate from
  libedgetpu.so.1` with an empty detail line (the plug-in reports no message).
"""

from __future__ import annotations

import ctypes
import sys
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from camapp.errors import DeviceError
from camapp.hw import usb

RUNTIME_URL = "https://coral.ai/docs/accelerator/get-started/"
DEVICE_KINDS = ("usb", "pci")


def library_name(platform: str | None = None) -> str:
    """The Edge TPU runtime's shared library on this OS."""
    platform = platform or sys.platform
    if platform.startswith("win"):
        return "edgetpu.dll"
    if platform == "darwin":
        return "libedgetpu.1.dylib"
    return "libedgetpu.so.1"


def install_hint(platform: str | None = None) -> str:
    platform = platform or sys.platform
    if platform.startswith("linux"):
        return (
            "install the Edge TPU runtime: add Coral's apt repository and "
            f"`sudo apt install libedgetpu1-std`, then replug the Coral ({RUNTIME_URL})"
        )
    return f"install the Edge TPU runtime for this OS from {RUNTIME_URL}"


def parse_device(device: str) -> str | None:
    """`edgetpu[:usb|:pci][:N]` or `edgetpu:N` -> the delegate's "device" option (None = any).

    The option syntax (`usb`, `usb:0`, `pci:1`, `:0`) is libedgetpu's own.
    """
    parts = device.split(":")
    if parts[0] != "edgetpu" or len(parts) > 3:
        raise DeviceError(f"bad device {device!r}: use edgetpu, edgetpu:usb, edgetpu:usb:N or edgetpu:N")
    rest = parts[1:]
    if not rest:
        return None
    if len(rest) == 1 and rest[0].isdigit():
        return f":{int(rest[0])}"
    kind = rest[0]
    if kind not in DEVICE_KINDS or (len(rest) == 2 and not rest[1].isdigit()):
        raise DeviceError(f"bad device {device!r}: use edgetpu, edgetpu:usb, edgetpu:usb:N or edgetpu:N")
    return kind if len(rest) == 1 else f"{kind}:{int(rest[1])}"


@dataclass(frozen=True)
class RuntimeProbe:
    """Whether the Edge TPU runtime library can be loaded by this process."""

    library: str
    found: bool
    error: str | None = None


def probe_runtime(library: str | None = None, loader: Callable[[str], Any] = ctypes.CDLL) -> RuntimeProbe:
    """Load the library with the dynamic loader alone (no device is opened)."""
    library = library or library_name()
    try:
        loader(library)
    except OSError as exc:
        return RuntimeProbe(library, False, str(exc).strip() or type(exc).__name__)
    return RuntimeProbe(library, True)


def _quiet_delegate_del() -> Callable[[Any], None]:
    """LiteRT's `Delegate.__del__` raises AttributeError when its library failed to load; hide that."""
    previous = sys.unraisablehook

    def hook(unraisable: Any) -> None:
        if isinstance(unraisable.exc_value, AttributeError) and "_library" in str(unraisable.exc_value):
            return
        previous(unraisable)

    sys.unraisablehook = hook
    return previous


def no_device_reason(option: str | None, sysfs: Path = usb.SYSFS) -> str:
    """Why the runtime found no Edge TPU, from what is (not) on the USB bus."""
    corals = usb.find_corals(sysfs)
    want = f" ({option})" if option else ""
    if not corals:
        if not usb.usb_devices(sysfs):
            return f"no Edge TPU found{want}: plug in the Coral USB Accelerator"
        return (
            f"no Edge TPU found{want}: no Coral is on the USB bus (looked for 1a6e:089a and 18d1:9302); "
            "plug it in, and on a Pi 4 use a powered USB hub if it does not show up"
        )
    if option and option.rsplit(":", 1)[-1].isdigit() and int(option.rsplit(":", 1)[-1]) >= len(corals):
        return f"Edge TPU {option} not found: {len(corals)} Coral(s) on the USB bus, numbered from 0"
    where = ", ".join(f"{c.device.ids} at {c.device.sysname}" for c in corals)
    return (
        f"a Coral is on the USB bus ({where}) but the Edge TPU runtime could not open it: "
        "another process may be using it (one process per Edge TPU), or this user lacks permission "
        "(the libedgetpu1-std package installs udev rules: replug it; add yourself to group plugdev)"
    )


def load_edgetpu_delegate(
    option: str | None = None,
    *,
    load_delegate: Callable[..., Any] | None = None,
    library: str | None = None,
    sysfs: Path = usb.SYSFS,
) -> Any:
    """The delegate object for `experimental_delegates`; `DeviceError` says why it cannot be had.

    `load_delegate` defaults to the active runtime's (`get_runtime().load_delegate`).
    """
    if load_delegate is None:
        from camapp.tflite.runtime import get_runtime

        load_delegate = get_runtime().load_delegate
    library = library or library_name()
    options = {"device": option} if option else {}
    previous = _quiet_delegate_del()
    try:
        result = _attempt(load_delegate, library, options, option, sysfs)
    finally:
        sys.unraisablehook = previous  # the half-built Delegate died inside _attempt, under the hook
    if isinstance(result, DeviceError):
        raise result
    return result


def _attempt(
    load_delegate: Callable[..., Any], library: str, options: dict[str, str], option: str | None, sysfs: Path
) -> Any:
    """The delegate, or the `DeviceError` to raise (returned so no traceback keeps the wreck alive)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return load_delegate(library, options)
    except OSError as exc:
        detail = str(exc).strip() or f"{library} not found"
        return DeviceError(f"Edge TPU runtime not found ({detail}): {install_hint()}")
    except ValueError:
        return DeviceError(no_device_reason(option, sysfs))
    except RuntimeError as exc:
        return DeviceError(f"the Edge TPU delegate cannot be used here: {exc}")
