"""Motion regions: square crops around the moving areas, cut from the full-resolution frame.

A wide frame squeezed into a 300 px network loses what is small and far; a crop at least the
network's size around the motion keeps it at (nearly) full resolution. Boxes are merged first
(a person is one region, not one per limb), each merged box becomes a square of at least the
network's input size, and squares that overlap are merged again. When the regions would cover
most of the frame, the whole frame is cheaper and loses nothing: `square_regions` says None.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from camapp.types import Detections

Box = tuple[int, int, int, int]


def merge_boxes(boxes: np.ndarray, gap: float = 0.0) -> np.ndarray:
    """Union of boxes (N x 4, xyxy) that overlap or lie within `gap` pixels of each other,
    until none do."""
    out = [list(map(float, b)) for b in np.asarray(boxes, np.float64).reshape(-1, 4)]
    merged = True
    while merged and len(out) > 1:
        merged = False
        for i in range(len(out)):
            a = out[i]
            for j in range(i + 1, len(out)):
                b = out[j]
                if a[0] - gap <= b[2] and b[0] - gap <= a[2] and a[1] - gap <= b[3] and b[1] - gap <= a[3]:
                    out[i] = [min(a[0], b[0]), min(a[1], b[1]), max(a[2], b[2]), max(a[3], b[3])]
                    del out[j]
                    merged = True
                    break
            if merged:
                break
    return np.array(out, np.float64).reshape(-1, 4)


def _region(box: Sequence[float], rw: float, rh: float, w: int, h: int) -> Box:
    """A `rw` x `rh` crop centred on `box`, moved (not shrunk) to lie inside the frame."""
    cx, cy = (box[0] + box[2]) / 2, (box[1] + box[3]) / 2
    sw, sh = int(round(min(rw, w))), int(round(min(rh, h)))
    x0 = int(round(min(max(cx - sw / 2, 0), w - sw)))
    y0 = int(round(min(max(cy - sh / 2, 0), h - sh)))
    return x0, y0, x0 + sw, y0 + sh


def _shape(bw: float, bh: float, least: int, aspect: float) -> tuple[float, float]:
    """A crop's size for a `bw` x `bh` motion: at least `least` each way, its long side at most
    `aspect` times the short one (1: a square)."""
    rw, rh = max(bw, least), max(bh, least)
    if rw > rh * aspect:
        rh = rw / aspect
    elif rh > rw * aspect:
        rw = rh / aspect
    return rw, rh


def square_regions(
    boxes: np.ndarray,
    shape: tuple[int, ...],
    min_side: int,
    *,
    margin: float = 0.0,
    gap: float = 0.1,
    cover: float = 0.6,
    aspect: float = 1.0,
) -> tuple[Box, ...] | None:
    """The crops (source pixels) to run the detector on for these moving `boxes`, or None for
    the whole frame: no boxes, a region that does not fit in the frame, or regions covering more
    than `cover` of the frame. Boxes closer than `gap` x `min_side` are merged; each crop holds
    its merged boxes plus `margin` (the motion boxes already hold the object: on the small-object
    benchmark a 5% margin cost a tenth of the mAP), is at least `min_side` each way, and square,
    or with `aspect` > 1 up to that much longer one way."""
    h, w = int(shape[0]), int(shape[1])
    boxes = np.asarray(boxes, np.float64).reshape(-1, 4)
    if not len(boxes):
        return None
    grown = merge_boxes(boxes, gap=gap * min_side)
    for _ in range(8):  # crops grow past their boxes and may meet: merge again, a few rounds
        sizes = [
            _shape((b[2] - b[0]) * (1 + margin), (b[3] - b[1]) * (1 + margin), min_side, aspect)
            for b in grown.tolist()
        ]
        if any(rw > w or rh > h for rw, rh in sizes):
            return None
        squares = np.array(
            [_region(b, rw, rh, w, h) for b, (rw, rh) in zip(grown.tolist(), sizes)], np.float64
        )
        again = merge_boxes(squares)
        if len(again) == len(squares):
            break
        grown = again
    areas = (squares[:, 2] - squares[:, 0]) * (squares[:, 3] - squares[:, 1])
    if areas.sum() > cover * w * h:
        return None
    return tuple(tuple(int(v) for v in s) for s in squares.tolist())  # type: ignore[misc]


def shift(dets: Detections, region: Box) -> Detections:
    """Boxes found in the crop `region`, moved to source-frame pixels."""
    x0, y0 = region[0], region[1]
    offset = np.array([x0, y0, x0, y0], np.float32)
    return Detections(
        dets.boxes + offset, dets.scores, dets.class_ids, dets.names, dets.track_ids, dets.predicted
    )


def _cut(box: np.ndarray, region: Box, shape: tuple[int, ...], edge: float = 2.0) -> bool:
    """Whether `box` touches a side of `region` that is inside the frame (the object may go on)."""
    h, w = shape[0], shape[1]
    x0, y0, x1, y1 = region
    return bool(
        (x0 > 0 and box[0] <= x0 + edge)
        or (y0 > 0 and box[1] <= y0 + edge)
        or (x1 < w and box[2] >= x1 - edge)
        or (y1 < h and box[3] >= y1 - edge)
    )


def dedupe(
    parts: Sequence[tuple[Detections, Box]], shape: tuple[int, ...], iou: float = 0.5, inside: float = 0.7
) -> Detections:
    """One set of boxes from the detections of overlapping regions (each already in source
    pixels, with its region): per class, a box is dropped when a kept box overlaps it at `iou`,
    or covers `inside` of it. Whole boxes come first (a box cut by a region's inner edge loses
    to the same object seen whole in another region), then higher scores."""
    if not parts:
        raise ValueError("dedupe needs at least one region's detections")
    names = parts[0][0].names
    boxes = [d.boxes for d, _ in parts]
    allb = np.concatenate(boxes) if boxes else np.zeros((0, 4), np.float32)
    if len(parts) == 1 or not len(allb):
        return Detections(
            allb,
            np.concatenate([d.scores for d, _ in parts]),
            np.concatenate([d.class_ids for d, _ in parts]),
            names,
        )
    scores = np.concatenate([d.scores for d, _ in parts])
    classes = np.concatenate([d.class_ids for d, _ in parts])
    cut = np.array([_cut(b, r, shape) for d, r in parts for b in d.boxes], bool)
    order = np.lexsort((-scores, cut))  # whole boxes first, then by score
    area = np.prod(allb[:, 2:] - allb[:, :2], axis=1)
    keep: list[int] = []
    for i in order.tolist():
        if keep:
            k = np.array(keep)
            same = classes[k] == classes[i]
            lt = np.maximum(allb[k, :2], allb[i, :2])
            rb = np.minimum(allb[k, 2:], allb[i, 2:])
            inter = np.prod(np.clip(rb - lt, 0, None), axis=1)
            over = inter / np.maximum(area[k] + area[i] - inter, 1e-9)
            covered = inter / max(float(area[i]), 1e-9)
            if (same & ((over >= iou) | (covered >= inside))).any():
                continue
        keep.append(i)
    idx = np.array(sorted(keep), np.int64)
    return Detections(allb[idx], scores[idx], classes[idx], names)
