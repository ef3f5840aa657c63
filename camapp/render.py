"""Drawing detections and a heads-up line onto frames: pure OpenCV, no Qt."""

from __future__ import annotations

import colorsys

import cv2
import numpy as np

from camapp.types import Detections


def class_color(class_id: int) -> tuple[int, int, int]:
    """A stable, distinct BGR color per class (golden-ratio hue steps)."""
    hue = (class_id * 0.618033988749895) % 1.0
    r, g, b = colorsys.hsv_to_rgb(hue, 0.85, 1.0)
    return int(b * 255), int(g * 255), int(r * 255)


def draw_detections(image: np.ndarray, dets: Detections, copy: bool = True) -> np.ndarray:
    """Boxes with `label score` tags, scaled to the image so they read from 320x240 to 1080p."""
    out = image.copy() if copy else image
    h, w = out.shape[:2]
    scale = max(0.4, min(w, h) / 720.0)
    thick = max(1, round(2 * scale))
    font_scale = 0.55 * scale
    for i in range(len(dets)):
        x0, y0, x1, y1 = (int(round(v)) for v in dets.boxes[i])
        color = class_color(int(dets.class_ids[i]))
        cv2.rectangle(out, (x0, y0), (x1, y1), color, thick, cv2.LINE_AA)
        text = f"{dets.label(i)} {dets.scores[i]:.2f}"
        (tw, th), base = cv2.getTextSize(text, cv2.FONT_HERSHEY_SIMPLEX, font_scale, thick)
        ty = y0 - th - base - 2 if y0 - th - base - 2 >= 0 else y0
        cv2.rectangle(out, (x0, ty), (x0 + tw + 4, ty + th + base + 2), color, -1)
        cv2.putText(
            out,
            text,
            (x0 + 2, ty + th + 1),
            cv2.FONT_HERSHEY_SIMPLEX,
            font_scale,
            (0, 0, 0),
            thick,
            cv2.LINE_AA,
        )
    return out
