"""SSD anchors as the TF Object Detection API generates them for SSD-MobileNet v1.

The post-process op carries the anchors as a constant, so a model rewritten for another input
size needs new ones: one anchor set per cell of each feature map, and the feature maps shrink
with the input. This reproduces `create_ssd_anchors` + `MultipleGridAnchorGenerator` exactly
(the test checks it against the shipped model byte for byte), then optionally rescales the
anchor sizes so that an anchor keeps its size in *pixels* across input sizes.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class AnchorSpec:
    """The `ssd_anchor_generator` block of the model's training config."""

    num_layers: int = 6
    min_scale: float = 0.2
    max_scale: float = 0.95
    # as written in the pipeline config: 1.0, 2.0, 0.5, 3.0, 0.3333
    aspect_ratios: tuple[float, ...] = (1.0, 2.0, 0.5, 3.0, 0.3333)
    interpolated_scale_aspect_ratio: float = 1.0
    reduce_boxes_in_lowest_layer: bool = True
    first_stride: int = 16  # output stride of the first box-predictor feature map


SSD_MOBILENET_V1 = AnchorSpec()


def grid_sizes(size: int, spec: AnchorSpec = SSD_MOBILENET_V1) -> list[int]:
    """Feature-map sides for a square input: ceil(S/16), ceil(S/32), then halving (SAME padding)."""
    sides = [math.ceil(size / spec.first_stride)]
    while len(sides) < spec.num_layers:
        sides.append(math.ceil(sides[-1] / 2))
    return sides


def box_specs(spec: AnchorSpec = SSD_MOBILENET_V1) -> list[list[tuple[float, float]]]:
    """(scale, aspect ratio) of every box per layer, in the generator's order."""
    n = spec.num_layers
    scales = [spec.min_scale + (spec.max_scale - spec.min_scale) * i / (n - 1) for i in range(n)] + [1.0]
    layers = []
    for layer in range(n):
        scale, scale_next = scales[layer], scales[layer + 1]
        if layer == 0 and spec.reduce_boxes_in_lowest_layer:
            layers.append([(0.1, 1.0), (scale, 2.0), (scale, 0.5)])
            continue
        boxes = [(scale, ar) for ar in spec.aspect_ratios]
        if spec.interpolated_scale_aspect_ratio > 0:
            boxes.append((math.sqrt(scale * scale_next), spec.interpolated_scale_aspect_ratio))
        layers.append(boxes)
    return layers


def ssd_anchors(
    size: int,
    *,
    native_size: int | None = None,
    spec: AnchorSpec = SSD_MOBILENET_V1,
) -> np.ndarray:
    """Anchors for a `size`x`size` input as float32 rows (yc, xc, h, w), normalized to the image.

    With `native_size`, heights and widths are scaled by native_size/size ("pixel-consistent"):
    the network learnt box sizes from how many pixels an object covers, so at a smaller input an
    object of the same pixel extent is a larger fraction of the image.
    """
    rows = []
    for side, boxes in zip(grid_sizes(size, spec), box_specs(spec)):
        # float32 throughout, like the TensorFlow graph that produced the shipped constant.
        scales = np.array([s for s, _ in boxes], np.float32)
        ratios = np.sqrt(np.array([r for _, r in boxes], np.float32))
        heights, widths = scales / ratios, scales * ratios
        stride = np.float32(1.0) / np.float32(side)
        centers = np.arange(side, dtype=np.float32) * stride + np.float32(0.5) * stride
        yc, xc = np.meshgrid(centers, centers, indexing="ij")
        k = len(boxes)
        grid = np.empty((side, side, k, 4), np.float32)
        grid[..., 0] = yc[..., None]
        grid[..., 1] = xc[..., None]
        grid[..., 2] = heights
        grid[..., 3] = widths
        # The generator stores corners; the exporter converts back to centre/size, in float32.
        ymin = grid[..., 0] - np.float32(0.5) * grid[..., 2]
        xmin = grid[..., 1] - np.float32(0.5) * grid[..., 3]
        ymax = grid[..., 0] + np.float32(0.5) * grid[..., 2]
        xmax = grid[..., 1] + np.float32(0.5) * grid[..., 3]
        h, w = ymax - ymin, xmax - xmin
        rows.append(np.stack([ymin + h / 2, xmin + w / 2, h, w], axis=-1).reshape(-1, 4))
    anchors = np.concatenate(rows).astype(np.float32)
    if native_size is not None and native_size != size:
        anchors[:, 2:] *= np.float32(native_size / size)
    return anchors


def quantize(values: np.ndarray, scale: float, zero_point: int, dtype: type) -> np.ndarray:
    """Affine quantization as the TFLite converter does it: round(v / scale) + zero point, clipped."""
    info = np.iinfo(dtype)
    q = np.round(values.astype(np.float64) / scale) + zero_point
    return np.clip(q, info.min, info.max).astype(dtype)
