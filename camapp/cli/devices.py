"""`camapp devices`: which cameras and detector devices this machine has, and what to fix.

Always exits 0 when it could look: finding nothing is an answer, not an error.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from camapp.hw import usb, video
from camapp.hw.picam import INSTALL_HINT, picamera_info


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "devices", help="list cameras and detector devices (CPU, Coral, Hailo, AI Camera), with fixes"
    )
    p.add_argument("--no-open", action="store_true", help="do not open cameras to list their resolutions")
    p.add_argument("--sysfs", type=Path, default=usb.SYSFS, help=argparse.SUPPRESS)


def _size_list(sizes: tuple[tuple[int, int], ...]) -> str:
    return ", ".join(f"{w}x{h}" for w, h in sizes) or "no size reported"


def camera_lines(
    sysfs: Path,
    open_cameras: bool = True,
    opener: Callable[[str], Any] | None = None,
    picams: Callable[[], list[dict[str, Any]] | None] = picamera_info,
) -> list[str]:
    lines = []
    nodes = video.video_nodes(sysfs)
    if not nodes and not sys.platform.startswith("linux") and open_cameras:
        nodes = video.index_nodes()
    csi = [n for n in nodes if n.kind == "csi"]
    for node in (n for n in nodes if n.kind == "camera"):
        label = f"  {node.device:<12} {node.name or '(no name)'}"
        if not open_cameras:
            lines.append(f"{label}  -> --source {node.device}")
            continue
        result = video.probe(node, opener) if opener else video.probe(node)
        if result.opened:
            lines.append(f"{label}: {_size_list(result.resolutions)}  -> --source {node.device}")
        else:
            lines.append(
                f"{label}: OpenCV cannot open it (busy, or no permission: add yourself to group video)"
            )
    try:
        infos = picams()
    except Exception as exc:  # libcamera itself failing is worth a line, never a traceback
        infos = []
        lines.append(
            f"  picam        libcamera error: {str(exc).strip().splitlines()[0] if str(exc).strip() else exc}"
        )
    if infos is None:
        if csi:
            lines.append(f"  picam        a camera module is connected ({csi[0].name}) but {INSTALL_HINT}")
    else:
        for i, info in enumerate(infos):
            model = info.get("Model", "camera module")
            lines.append(f"  picam:{i:<6} {model} ({info.get('Id', '')})  -> --source picam:{i}")
    if not lines:
        where = "no /dev/video* camera"
        where += (
            ""
            if infos is not None
            else " and picamera2 is not installed (only needed for a Pi camera module)"
        )
        lines.append(f"  none found: {where}. Plug in a USB webcam, or use a video file: --source FILE")
    return lines


def accelerator_lines(sysfs: Path) -> list[str]:
    """Every registered device's probe, in registry order (`camapp.detect.DEVICES`)."""
    from camapp.detect import probe_devices

    return [line for _, probe in probe_devices(sysfs) for line in probe.lines]


def run(args: argparse.Namespace) -> int:
    out = sys.stdout
    print("Cameras", file=out)
    for line in camera_lines(args.sysfs, open_cameras=not args.no_open):
        print(line, file=out)
    print("Accelerators (--device)", file=out)
    for line in accelerator_lines(args.sysfs):
        print(line, file=out)
    return 0
