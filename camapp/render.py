"""Drawing detections and a heads-up line onto frames: pure OpenCV, no Qt."""

from __future__ import annotations

import colorsys
import math
from dataclasses import dataclass
from typing import Protocol

import cv2
import numpy as np

from camapp.types import Detections

_FONT = cv2.FONT_HERSHEY_SIMPLEX
_MIN_SCALE = 0.33  # about 8 px capitals: the smallest still legible on a 320x240 frame


def class_color(class_id: int) -> tuple[int, int, int]:
    """A stable, distinct BGR color per class (golden-ratio hue steps)."""
    hue = (class_id * 0.618033988749895) % 1.0
    r, g, b = colorsys.hsv_to_rgb(hue, 0.85, 1.0)
    return int(b * 255), int(g * 255), int(r * 255)


def score_text(score: float) -> str:
    """A score as people read it, the same in the app, recordings and snapshots: 0.756 -> "76%"."""
    return f"{float(score):.0%}"


def tag_text(dets: Detections, i: int) -> str:
    """The tag drawn on box `i`: label and score."""
    return f"{dets.label(i)} {score_text(dets.scores[i])}"


def text_scale(shape: tuple[int, ...], fraction: float) -> float:
    """Font scale whose capitals are `fraction` of the image height, never below legibility."""
    return max(_MIN_SCALE, int(shape[0]) * fraction / 22.0)  # SIMPLEX capitals: ~22 px at 1.0


def draw_detections(image: np.ndarray, dets: Detections, copy: bool = True) -> np.ndarray:
    """Boxes with `label score` tags, scaled to the image so they read from 320x240 to 1080p.

    A tag goes above its box, or inside it at the top edge, and is shifted left at the right edge,
    so it is never clipped.
    """
    out = image.copy() if copy else image
    h, w = out.shape[:2]
    font_scale = text_scale(out.shape, 0.03)
    thick = max(1, round(font_scale * 1.6))
    box_thick = max(1, round(h / 360))
    for i in range(len(dets)):
        x0, y0, x1, y1 = (int(round(v)) for v in dets.boxes[i])
        color = class_color(int(dets.class_ids[i]))
        cv2.rectangle(out, (x0, y0), (x1, y1), color, box_thick, cv2.LINE_AA)
        text = tag_text(dets, i)
        (tw, th), base = cv2.getTextSize(text, _FONT, font_scale, thick)
        tag_h = th + base + 2
        ty = y0 - tag_h if y0 - tag_h >= 0 else max(0, y0)
        ty = min(ty, h - tag_h)
        tx = min(max(0, x0), max(0, w - tw - 4))
        cv2.rectangle(out, (tx, ty), (tx + tw + 4, ty + tag_h), color, -1)
        cv2.putText(out, text, (tx + 2, ty + th + 1), _FONT, font_scale, (0, 0, 0), thick, cv2.LINE_AA)
    return out


class HudStats(Protocol):
    """The fields of `camapp.pipeline.Stats` the heads-up line shows (duck-typed: no import cycle)."""

    capture_fps: float
    inference_fps: float
    infer_ms: float
    input_size: int | tuple[int, int] | None


@dataclass(frozen=True)
class HudLayout:
    """Where and how large the heads-up line is drawn; `box` is (x0, y0, x1, y1), inside the image."""

    text: str
    font_scale: float
    thickness: int
    origin: tuple[int, int]
    box: tuple[int, int, int, int]


def _num(value: float | None, fmt: str) -> str:
    if value is None or not math.isfinite(value):
        return "--"
    return format(value, fmt)


def _size(size: int | tuple[int, int] | None) -> str:
    if size is None:
        return "--"
    if isinstance(size, (int, np.integer)):
        return f"{size}x{size}"
    return f"{size[0]}x{size[1]}"


def hud_texts(stats: HudStats) -> list[str]:
    """The heads-up line, longest first; shorter variants drop detail to fit narrow frames."""
    fps = f"{_num(stats.inference_fps, '.1f')} fps"
    cam = f"cam {_num(stats.capture_fps, '.0f')}"
    ms = f"{_num(stats.infer_ms, '.1f')} ms"
    size = _size(stats.input_size)
    return [
        f"{fps} (cam {_num(stats.capture_fps, '.1f')}) | infer {ms} | input {size}",
        f"{fps} | {cam} | {ms} | {size}",
        f"{fps} | {ms} | {size}",
    ]


def hud_layout(shape: tuple[int, ...], stats: HudStats) -> HudLayout:
    """Size the heads-up line to the frame: ~3.5% of its height, shrunk until it fits the width."""
    h, w = int(shape[0]), int(shape[1])
    target = text_scale(shape, 0.035)
    pad = max(2, round(h * 0.008))
    for text in hud_texts(stats):
        scale = target
        thick = max(1, round(scale * 1.6))
        (tw, th), base = cv2.getTextSize(text, _FONT, scale, thick)
        if tw + 4 * pad > w:
            scale = target * (w - 4 * pad) / tw
            thick = max(1, round(scale * 1.6))
            (tw, th), base = cv2.getTextSize(text, _FONT, scale, thick)
        if scale >= _MIN_SCALE and tw + 4 * pad <= w:
            break
    # Bottom left: box tags sit above their boxes, so a top band would hide the tag of anything
    # touching the top edge (a person walking in, a window), which is where tags end up most.
    y1 = h - 1 - pad
    y0 = max(0, y1 - (th + base + 2 * pad))
    box = (pad, y0, min(w - 1, pad + tw + 2 * pad), y1)
    return HudLayout(text, scale, thick, (2 * pad, y0 + pad + th), box)


def draw_hud(image: np.ndarray, stats: HudStats, copy: bool = True) -> np.ndarray:
    """The heads-up line (FPS, inference ms, input size), white on a dark band, bottom left."""
    out = image.copy() if copy else image
    lay = hud_layout(out.shape, stats)
    x0, y0, x1, y1 = lay.box
    band = out[y0 : y1 + 1, x0 : x1 + 1]
    band[:] = (band.astype(np.uint16) * 2 // 5).astype(np.uint8)  # darken: readable on any scene
    cv2.putText(out, lay.text, lay.origin, _FONT, lay.font_scale, (255, 255, 255), lay.thickness, cv2.LINE_AA)
    return out


def annotate(image: np.ndarray, detections: Detections, stats: HudStats | None = None) -> np.ndarray:
    """A new image: boxes with label and score, plus the heads-up line when `stats` is given."""
    out = draw_detections(image, detections, copy=True)
    if stats is not None:
        draw_hud(out, stats, copy=False)
    return out
