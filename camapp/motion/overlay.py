"""The motion overlay (`--motion-overlay`): what the motion stage saw, drawn on the frame, to tune
the sensitivity, the minimum area and the masks by eye."""

from __future__ import annotations

from collections.abc import Sequence

import cv2
import numpy as np

from camapp.motion.detector import MotionMask

MOTION = (0, 140, 255)  # orange: the moving areas
REGION = (255, 255, 0)  # cyan: the crops the detector ran on
MASK = (128, 128, 128)  # grey: ignored areas


def draw_motion(
    image: np.ndarray,
    boxes: np.ndarray,
    regions: Sequence[tuple[int, int, int, int]] | None = None,
    masks: Sequence[MotionMask] = (),
) -> np.ndarray:
    """Draw on `image` in place (and return it): masks shaded grey, moving areas in orange,
    detector regions in cyan."""
    h, w = image.shape[:2]
    thick = max(1, round(min(h, w) / 360))
    if masks:
        polys = [np.round(np.array(m.points) * (w, h)).astype(np.int32) for m in masks]
        x0 = min(int(p[:, 0].min()) for p in polys)
        y0 = min(int(p[:, 1].min()) for p in polys)
        x1 = max(int(p[:, 0].max()) for p in polys) + 1
        y1 = max(int(p[:, 1].max()) for p in polys) + 1
        shade = np.zeros((y1 - y0, x1 - x0), np.uint8)
        cv2.fillPoly(shade, [p - (x0, y0) for p in polys], 255)
        part = image[y0:y1, x0:x1]
        grey = cv2.addWeighted(part, 0.5, np.full_like(part, MASK), 0.5, 0)
        np.copyto(part, grey, where=shade[..., None].astype(bool))
        cv2.polylines(image, polys, True, MASK, thick, cv2.LINE_AA)
    for x0, y0, x1, y1 in np.asarray(boxes, np.int32).reshape(-1, 4).tolist():
        cv2.rectangle(image, (x0, y0), (x1, y1), MOTION, thick)
    for x0, y0, x1, y1 in regions or ():
        cv2.rectangle(image, (x0, y0), (x1 - 1, y1 - 1), REGION, thick, cv2.LINE_4)
    return image
