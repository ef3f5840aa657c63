"""Finding a Coral USB Accelerator on the USB bus through sysfs, and at which speed.

The Coral enumerates as 1a6e:089a (Global Unichip) until the Edge TPU runtime first loads its
firmware, then re-enumerates as 18d1:9302 (Google). On a USB 2 port (480 Mbit/s) every inference
waits on the bus, which makes it several times slower: the most common Coral complaint.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

SYSFS = Path("/sys")

# (idVendor, idProduct) -> what the id means
CORAL_IDS: dict[tuple[str, str], str] = {
    ("1a6e", "089a"): "not yet initialized: the runtime loads its firmware on first use",
    ("18d1", "9302"): "initialized",
}
USB3_MBPS = 5000.0


@dataclass(frozen=True)
class UsbDevice:
    """One device under /sys/bus/usb/devices (interfaces and hubs' ports are not devices)."""

    sysname: str  # e.g. "2-1", "usb1"
    vendor: str
    product: str
    speed_mbps: float | None
    name: str = ""

    @property
    def ids(self) -> str:
        return f"{self.vendor}:{self.product}"

    @property
    def is_root_hub(self) -> bool:
        return self.sysname.startswith("usb")


@dataclass(frozen=True)
class CoralUsb:
    device: UsbDevice
    state: str

    @property
    def usb2(self) -> bool:
        speed = self.device.speed_mbps
        return speed is not None and speed < USB3_MBPS


def _read(path: Path) -> str | None:
    try:
        return path.read_text(encoding="ascii", errors="replace").strip()
    except OSError:
        return None


def usb_devices(sysfs: Path = SYSFS) -> list[UsbDevice]:
    """Every USB device the kernel lists; empty when sysfs has no USB tree (not Linux, container)."""
    root = Path(sysfs) / "bus" / "usb" / "devices"
    if not root.is_dir():
        return []
    found = []
    for entry in sorted(root.iterdir()):
        vendor, product = _read(entry / "idVendor"), _read(entry / "idProduct")
        if not vendor or not product:
            continue  # an interface such as 1-1:1.0
        speed_text = _read(entry / "speed")
        try:
            speed = float(speed_text) if speed_text else None
        except ValueError:
            speed = None
        name = " ".join(filter(None, (_read(entry / "manufacturer"), _read(entry / "product"))))
        found.append(UsbDevice(entry.name, vendor.lower(), product.lower(), speed, name))
    return found


def find_corals(sysfs: Path = SYSFS) -> list[CoralUsb]:
    """Coral USB Accelerators on the bus, in sysfs order (the runtime's usb:N follows bus order)."""
    return [
        CoralUsb(d, CORAL_IDS[(d.vendor, d.product)])
        for d in usb_devices(sysfs)
        if (d.vendor, d.product) in CORAL_IDS
    ]


def has_usb3_host(sysfs: Path = SYSFS) -> bool | None:
    """Whether any root hub runs at USB 3 speed; None when sysfs shows no USB tree."""
    hubs = [d for d in usb_devices(sysfs) if d.is_root_hub]
    if not hubs:
        return None
    return any((d.speed_mbps or 0) >= USB3_MBPS for d in hubs)


def speed_text(mbps: float | None) -> str:
    if mbps is None:
        return "unknown speed"
    if mbps >= USB3_MBPS:
        return f"USB 3 ({mbps:g} Mbit/s)"
    if mbps >= 480:
        return f"USB 2 ({mbps:g} Mbit/s)"
    return f"USB 1 ({mbps:g} Mbit/s)"


def usb2_advice(sysfs: Path = SYSFS) -> str:
    """The fix for a Coral on a USB 2 link, worded for what this machine has."""
    if has_usb3_host(sysfs) is False:
        return (
            "this machine shows no USB 3 port; a USB 3 host (e.g. Pi 4/5 blue ports) is several times faster"
        )
    return (
        "move it to a USB 3 port (the blue ones on a Pi 4/5) and use a USB 3 cable; "
        "on a Pi 4, if it then drops off the bus, use a powered USB 3 hub"
    )
