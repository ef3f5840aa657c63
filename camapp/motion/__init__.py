"""Motion: where the picture changes, found on a small grey copy of each frame with OpenCV.

`MotionDetector` finds moving areas (boxes in source pixels) while ignoring masked areas and
recalibrating on a sudden global change; `regions` turns those boxes into the square crops the
detector runs on and maps the boxes found there back to the frame.
"""

from camapp.motion.detector import MotionDetector, MotionMask, MotionResult, MotionSettings
from camapp.motion.regions import dedupe, square_regions

__all__ = [
    "MotionDetector",
    "MotionMask",
    "MotionResult",
    "MotionSettings",
    "dedupe",
    "square_regions",
]
