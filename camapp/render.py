"""Drawing detections and a heads-up line onto frames: pure OpenCV, no Qt."""

from __future__ import annotations

import colorsys
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

import cv2
import numpy as np

from camapp.types import Detections

if TYPE_CHECKING:
    from camapp.track.base import TrackInfo

_FONT = cv2.FONT_HERSHEY_SIMPLEX
_MIN_SCALE = 0.33  # about 8 px capitals: the smallest still legible on a 320x240 frame
BANDS = 6  # a trail fades in this many steps


def class_color(class_id: int) -> tuple[int, int, int]:
    """A stable, distinct BGR color per class (golden-ratio hue steps)."""
    hue = (class_id * 0.618033988749895) % 1.0
    r, g, b = colorsys.hsv_to_rgb(hue, 0.85, 1.0)
    return int(b * 255), int(g * 255), int(r * 255)


def score_text(score: float) -> str:
    """A score as people read it, the same in the app, recordings and snapshots: 0.756 -> "76%"."""
    return f"{float(score):.0%}"


def tag_text(dets: Detections, i: int) -> str:
    """The tag drawn on box `i`: `person 87%`, or `person #3 87%` once a tracker gave it an id."""
    tid = dets.track_id(i)
    ident = f" #{tid}" if tid is not None and tid >= 0 else ""
    return f"{dets.label(i)}{ident} {score_text(dets.scores[i])}"


def text_scale(shape: tuple[int, ...], fraction: float) -> float:
    """Font scale whose capitals are `fraction` of the image height, never below legibility."""
    return max(_MIN_SCALE, int(shape[0]) * fraction / 22.0)  # SIMPLEX capitals: ~22 px at 1.0


def draw_detections(image: np.ndarray, dets: Detections, copy: bool = True) -> np.ndarray:
    """Boxes with `label score` tags, scaled to the image so they read from 320x240 to 1080p.

    A tag goes above its box, or inside it at the top edge, and is shifted left at the right edge,
    so it is never clipped. Tracked boxes read `person #3 87%`; predicted ones (no fresh
    detection) get a thin outline, so a viewer can tell them from detections.
    """
    out = image.copy() if copy else image
    h, w = out.shape[:2]
    font_scale = text_scale(out.shape, 0.03)
    thick = max(1, round(font_scale * 1.6))
    box_thick = max(1, round(h / 360))
    for i in range(len(dets)):
        x0, y0, x1, y1 = (int(round(v)) for v in dets.boxes[i])
        color = class_color(int(dets.class_ids[i]))
        outline = max(1, box_thick // 2) if dets.is_predicted(i) else box_thick
        cv2.rectangle(out, (x0, y0), (x1, y1), color, outline, cv2.LINE_AA)
        text = tag_text(dets, i)
        (tw, th), base = cv2.getTextSize(text, _FONT, font_scale, thick)
        tag_h = th + base + 2
        ty = y0 - tag_h if y0 - tag_h >= 0 else max(0, y0)
        ty = min(ty, h - tag_h)
        tx = min(max(0, x0), max(0, w - tw - 4))
        cv2.rectangle(out, (tx, ty), (tx + tw + 4, ty + tag_h), color, -1)
        cv2.putText(out, text, (tx + 2, ty + th + 1), _FONT, font_scale, (0, 0, 0), thick, cv2.LINE_AA)
    return out


def draw_tracks(
    image: np.ndarray, info: TrackInfo, copy: bool = True, detections: Detections | None = None
) -> np.ndarray:
    """Trails, counting lines with their counts, and zones with how many are inside.

    A trail takes the class colour of its object's box in `detections` (a colour of its own
    without one) and fades towards its oldest point, as the desktop app draws it."""
    out = image.copy() if copy else image
    h, w = out.shape[:2]
    line_thick = max(1, round(h / 360))
    scale = text_scale(out.shape, 0.025)
    classes: dict[int, int] = {}
    if detections is not None and detections.track_ids is not None:
        classes = dict(zip(detections.track_ids.tolist(), detections.class_ids.tolist()))
    for tid, pts in info.trails.items():
        color = class_color(classes[tid]) if tid in classes else class_color(tid * 7 + 3)
        _fading_polyline(out, pts, color, line_thick)
    for zone in info.zones:
        poly = np.round(np.array(zone.points, np.float32) * (w, h)).astype(np.int32).reshape(-1, 1, 2)
        cv2.polylines(out, [poly], True, (255, 200, 0), line_thick, cv2.LINE_AA)
        text = f"{zone.name}: {len(info.inside.get(zone.name, ()))}"
        _label(out, text, tuple(poly[0, 0]), scale, (255, 200, 0))
    for line in info.lines:
        a = (round(line.a[0] * w), round(line.a[1] * h))
        b = (round(line.b[0] * w), round(line.b[1] * h))
        cv2.line(out, a, b, (0, 255, 255), line_thick + 1, cv2.LINE_AA)
        counts = info.counts.get(line.name, {})
        total = {d: sum(n for k, n in counts.items() if k.split(" ", 1)[0] == d) for d in line.directions}
        text = f"{line.name}: " + " ".join(f"{d} {n}" for d, n in total.items())
        _label(out, text, a, scale, (0, 255, 255))
    return out


def _fading_polyline(
    out: np.ndarray, pts: Sequence[tuple[float, float]], color: tuple[int, int, int], thick: int
) -> None:
    """The trail in `BANDS` pieces, oldest faintest. The pieces are drawn as opacities into a
    mask over the trail's bounding box, then only the pixels they touch are blended: one blend
    per trail (about 0.2 ms a trail at 720p here, a plain polyline 0.04 ms; blending per
    segment cost 0.35 ms)."""
    h, w = out.shape[:2]
    xy = np.round(np.array(pts, np.float32)).astype(np.int32)
    if len(xy) < 2:
        return
    pad = thick + 2
    x0, y0 = (int(v) for v in np.maximum(xy.min(axis=0) - pad, 0))
    x1, y1 = int(min(w, xy[:, 0].max() + pad + 1)), int(min(h, xy[:, 1].max() + pad + 1))
    if x0 >= x1 or y0 >= y1:
        return  # off the frame
    mask = np.zeros((y1 - y0, x1 - x0), np.uint8)
    local = (xy - (x0, y0)).reshape(-1, 1, 2)
    cuts = np.linspace(0, len(xy) - 1, min(BANDS, len(xy) - 1) + 1).round().astype(int)
    for k, (a, b) in enumerate(zip(cuts[:-1], cuts[1:])):
        opacity = round(255 * (k + 1) / (len(cuts) - 1))
        cv2.polylines(mask, [local[a : b + 1]], False, opacity, thick, cv2.LINE_AA)
    found = cv2.findNonZero(mask)  # several times faster than np.nonzero here
    if found is None:
        return
    xs, ys = found.reshape(-1, 2).T
    sub = out[y0:y1, x0:x1]
    alpha = mask[ys, xs, None].astype(np.float32) / 255.0
    px = sub[ys, xs].astype(np.float32)
    sub[ys, xs] = np.round(px + (np.array(color, np.float32) - px) * alpha).astype(np.uint8)


def _label(
    out: np.ndarray, text: str, at: tuple[int, int], scale: float, color: tuple[int, int, int]
) -> None:
    h, w = out.shape[:2]
    thick = max(1, round(scale * 1.6))
    (tw, th), base = cv2.getTextSize(text, _FONT, scale, thick)
    x = min(max(0, int(at[0])), max(0, w - tw - 4))
    y = min(max(th + 2, int(at[1]) - 4), h - base - 2)
    cv2.rectangle(out, (x, y - th - 2), (x + tw + 4, y + base), (0, 0, 0), -1)
    cv2.putText(out, text, (x + 2, y), _FONT, scale, color, thick, cv2.LINE_AA)


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
    if not getattr(stats, "detecting", True):  # detection switched off: no rate, time or size to show
        return [f"detection off | cam {_num(stats.capture_fps, '.1f')} fps", "detection off"]
    fps = f"{_num(stats.inference_fps, '.1f')} fps"
    cam = f"cam {_num(stats.capture_fps, '.0f')}"
    ms = f"{_num(stats.infer_ms, '.1f')} ms"
    size = _size(stats.input_size)
    texts = [
        f"{fps} (cam {_num(stats.capture_fps, '.1f')}) | infer {ms} | input {size}",
        f"{fps} | {cam} | {ms} | {size}",
        f"{fps} | {ms} | {size}",
    ]
    motion = getattr(stats, "motion", "")  # under a motion gate: on/off and frames skipped
    if motion:
        frames, skipped = int(getattr(stats, "frames", 0)), int(getattr(stats, "predicted", 0))
        share = f"{100 * skipped / frames:.0f}%" if frames else "--"
        texts = [f"{texts[0]} | motion {motion}, skipped {share}", f"{texts[1]} | motion {motion}"] + texts[1:]
    return texts


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


def annotate(
    image: np.ndarray, detections: Detections, stats: HudStats | None = None, track: TrackInfo | None = None
) -> np.ndarray:
    """A new image: boxes with label and score, plus the heads-up line when `stats` is given,
    and trails, lines and zones when the tracking stage ran (`track`)."""
    out = image.copy()
    if track is not None:
        draw_tracks(out, track, copy=False, detections=detections)
    draw_detections(out, detections, copy=False)
    if stats is not None:
        draw_hud(out, stats, copy=False)
    return out
