"""camapp: real-time camera object detection with SSD-MobileNet on LiteRT."""

import os

# FFmpeg inside OpenCV prints its own errors for a bad or dropped stream; camapp reports those as
# one line instead. OpenCV reads this when cv2 is first imported, hence here (set it to see them).
os.environ.setdefault("OPENCV_FFMPEG_LOGLEVEL", "-8")

from camapp.errors import CamappError
from camapp.types import Detections, Frame

__all__ = ["CamappError", "Detections", "Frame", "__version__"]
__version__ = "0.2.0"
