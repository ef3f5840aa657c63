"""camapp: real-time camera object detection with SSD-MobileNet on LiteRT."""

from camapp.errors import CamappError
from camapp.types import Detections, Frame

__all__ = ["CamappError", "Detections", "Frame", "__version__"]
__version__ = "0.1.0"
