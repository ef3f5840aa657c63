"""Importing Picamera2 lazily, with the one fix that works when it is missing.

Picamera2 is not on PyPI in a usable form for the Pi's libcamera: Raspberry Pi OS ships it as
`python3-picamera2`, which a venv only sees when created with `--system-site-packages`.
"""

from __future__ import annotations

from types import ModuleType
from typing import Any

from camapp.errors import SourceError

INSTALL_HINT = (
    "picamera2 is not installed: on Raspberry Pi OS run `sudo apt install python3-picamera2` "
    "and create the venv with --system-site-packages"
)


def import_picamera2() -> ModuleType:
    """The `picamera2` module, or `SourceError` with the install instructions."""
    try:
        import picamera2
    except ImportError:
        raise SourceError(INSTALL_HINT) from None
    return picamera2


def picamera_info() -> list[dict[str, Any]] | None:
    """One dict per attached camera module (Model, Location, Id, ...); None if picamera2 is missing."""
    try:
        module = import_picamera2()
    except SourceError:
        return None
    return list(module.Picamera2.global_camera_info())
