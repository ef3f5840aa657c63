"""Test instrumentation for recordings: each frame's index drawn into it as black/white squares,
so a decoded file says exactly which frames it holds (drawn before the recorder sees the frame)."""

from __future__ import annotations

import numpy as np

from camapp.types import Frame

BITS, SQ = 8, 32  # up to 255 frames; needs frames at least 256 px wide


def marked(results):
    """The results with frame i's index drawn as bits in the top-left corner: white square = 1."""
    for r in results:
        img = r.frame.image.copy()
        for b in range(BITS):
            img[:SQ, b * SQ : (b + 1) * SQ] = 255 if r.frame.index >> b & 1 else 0
        f = r.frame
        yield type(r)(Frame(img, f.timestamp, f.index, f.media_time), r.detections, r.stats)


def index_of(img: np.ndarray) -> int:
    """The frame index `marked` drew into a decoded BGR image (square centres only: codec edges)."""
    bits = [img[8 : SQ - 8, b * SQ + 8 : (b + 1) * SQ - 8].mean() > 128 for b in range(BITS)]
    return sum(1 << b for b, on in enumerate(bits) if on)
