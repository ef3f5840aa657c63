"""Build fake sysfs trees shaped like the kernel's, for hardware this machine lacks.

The layout mirrors a Raspberry Pi 4: bus 1 is the USB 2 root hub, bus 2 the USB 3 one
(VL805), so a Coral in a blue port appears as 2-x at 5000 Mbit/s and in a black one as 1-1.x at 480.
"""

from __future__ import annotations

from pathlib import Path

PI4_ROOT_HUBS = [
    {"sysname": "usb1", "ids": "1d6b:0002", "speed": "480", "product": "xHCI Host Controller"},
    {"sysname": "usb2", "ids": "1d6b:0003", "speed": "5000", "product": "xHCI Host Controller"},
    {"sysname": "1-1", "ids": "2109:3431", "speed": "480", "product": "USB2.0 Hub"},
]


def coral(sysname: str = "2-1", ids: str = "1a6e:089a", speed: str = "5000") -> dict[str, str]:
    return {"sysname": sysname, "ids": ids, "speed": speed, "product": ""}


def usb_tree(root: Path, devices: list[dict[str, str]]) -> Path:
    """Write /sys/bus/usb/devices/<sysname>/{idVendor,idProduct,speed,product} under `root`."""
    base = root / "bus" / "usb" / "devices"
    base.mkdir(parents=True, exist_ok=True)
    for dev in devices:
        folder = base / dev["sysname"]
        folder.mkdir()
        vendor, product = dev["ids"].split(":")
        (folder / "idVendor").write_text(vendor + "\n")
        (folder / "idProduct").write_text(product + "\n")
        (folder / "speed").write_text(dev["speed"] + "\n")
        if dev.get("product"):
            (folder / "product").write_text(dev["product"] + "\n")
        # an interface directory, which has no ids and must be skipped
        (base / f"{dev['sysname']}:1.0").mkdir(exist_ok=True)
    return root


def video_tree(root: Path, nodes: dict[str, str]) -> Path:
    """Write /sys/class/video4linux/<node>/{name,index} under `root`; index 1 marks a metadata node."""
    base = root / "class" / "video4linux"
    base.mkdir(parents=True, exist_ok=True)
    for node, name in nodes.items():
        (base / node).mkdir()
        (base / node / "name").write_text(name + "\n")
        (base / node / "index").write_text(("1" if "meta" in name.lower() else "0") + "\n")
    return root
