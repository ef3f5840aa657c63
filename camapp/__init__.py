"""camapp: real-time camera object detection with SSD-MobileNet on LiteRT."""

import os

# FFmpeg inside OpenCV prints its own errors for a bad or dropped stream; camapp reports those as
# one line instead. OpenCV reads this when cv2 is first imported, hence here (set it to see them).
os.environ.setdefault("OPENCV_FFMPEG_LOGLEVEL", "-8")

from camapp.errors import CamappError

TYPE_CHECKING = False  # not typing's: the `camapp` command imports this first, before it can catch Ctrl-C
if TYPE_CHECKING:
    from camapp.types import Detections, Frame

__all__ = ["CamappError", "Detections", "Frame", "__version__"]
__version__ = "0.4.0"


def __getattr__(name: str) -> object:
    """`Detections` and `Frame` on first use: importing the package (the `camapp` command does,
    before it can catch Ctrl-C) must not import numpy."""
    if name in ("Detections", "Frame"):
        from camapp import types

        return getattr(types, name)
    raise AttributeError(f"module 'camapp' has no attribute {name!r}")
