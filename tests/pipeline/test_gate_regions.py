"""Regions through the `TrackingPipeline` with the real model on synthetic frames: a photo placed
at a known spot of a 1920x1080 frame; boxes found in a region land in source pixels exactly as
the photo detected alone, shifted; an object seen in two overlapping regions is one box; the
motion gate's regions find a moving photo."""

from __future__ import annotations

import time
from dataclasses import replace

import cv2
import numpy as np
import pytest

from camapp.pipeline.gate import MotionGate, Plan
from camapp.pipeline.tracking import TrackingPipeline
from camapp.types import Frame

H, W = 1080, 1920


class Frames:
    """A source over a list of images (what a file source offers the pipeline)."""

    realtime = False
    live = False
    fps = 15.0

    def __init__(self, images: list[np.ndarray]) -> None:
        self.images = images
        self.i = 0

    def open(self) -> None:
        pass

    def read(self) -> Frame | None:
        if self.i >= len(self.images):
            return None
        frame = Frame(self.images[self.i], time.monotonic(), self.i, self.i / self.fps)
        self.i += 1
        return frame

    def close(self) -> None:
        pass


class Fixed:
    """A gate planning the same regions for every frame."""

    def __init__(self, regions) -> None:
        self.regions = tuple(regions)

    def plan(self, frame: Frame, plan: Plan) -> Plan:
        return replace(plan, regions=self.regions)


def background(seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    base = cv2.resize(
        rng.integers(60, 200, (9, 16, 3), dtype=np.uint8), (W, H), interpolation=cv2.INTER_CUBIC
    )
    noise = np.empty(base.shape, np.int16)
    cv2.randn(noise, 0, 3)
    return np.clip(base.astype(np.int16) + noise, 0, 255).astype(np.uint8)


def results_of(pipeline: TrackingPipeline) -> list:
    out = []
    pipeline.on_result(out.append)
    pipeline.start()
    assert pipeline.wait(120)
    pipeline.stop()
    return out


@pytest.fixture()
def photo(image) -> np.ndarray:
    return cv2.resize(image("pets.jpg"), (300, 300), interpolation=cv2.INTER_AREA)  # two dogs


def test_boxes_from_a_region_land_where_the_object_is_in_the_frame(detector, photo):
    x0, y0 = 1211, 537
    frame = background()
    frame[y0 : y0 + 300, x0 : x0 + 300] = photo
    alone = detector.detect(photo)
    assert len(alone) >= 2  # the two dogs
    p = TrackingPipeline(Frames([frame]), detector, gates=[Fixed([(x0, y0, x0 + 300, y0 + 300)])])
    (r,) = results_of(p)
    assert r.gate.regions == ((x0, y0, x0 + 300, y0 + 300),)
    assert r.detections.class_ids.tolist() == alone.class_ids.tolist()
    np.testing.assert_allclose(r.detections.boxes, alone.boxes + [x0, y0, x0, y0], atol=0.5)
    np.testing.assert_allclose(r.detections.scores, alone.scores)


def test_one_object_seen_in_two_overlapping_regions_is_one_box(detector, photo):
    x0, y0 = 400, 300
    frame = background(1)
    frame[y0 : y0 + 300, x0 : x0 + 300] = photo
    alone = detector.detect(photo)
    # the photo whole in both regions: one region is the photo, the other holds it with a margin
    regions = [(x0, y0, x0 + 300, y0 + 300), (x0 - 40, y0 - 60, x0 + 340, y0 + 320)]
    p = TrackingPipeline(Frames([frame]), detector, gates=[Fixed(regions)])
    (r,) = results_of(p)
    d = r.detections
    # every box found alone is there, at (nearly) its place
    for box, cid in zip(alone.boxes + [x0, y0, x0, y0], alone.class_ids):
        same = d.boxes[d.class_ids == cid]
        assert np.abs(same - box).max(axis=1).min() < 12
    # and no object twice: no two boxes of one class overlap (the larger region may call an
    # animal by another class, as the detector itself may on one image)
    for i in range(len(d)):
        for j in range(i + 1, len(d)):
            if d.class_ids[i] == d.class_ids[j]:
                lt = np.maximum(d.boxes[i, :2], d.boxes[j, :2])
                rb = np.minimum(d.boxes[i, 2:], d.boxes[j, 2:])
                inter = np.prod(np.clip(rb - lt, 0, None))
                assert inter < 0.5 * min(
                    np.prod(d.boxes[i, 2:] - d.boxes[i, :2]), np.prod(d.boxes[j, 2:] - d.boxes[j, :2])
                )


def test_the_motion_gate_runs_the_detector_on_a_region_around_a_moving_photo(detector, photo):
    base = background(2)
    images = []
    for k in range(6):
        image = base.copy()
        if k:
            image[200 : 200 + 300, 900 + 4 * k : 1200 + 4 * k] = photo
        images.append(image)
    gate = MotionGate(regions=True, keepalive_s=100.0, input_size=lambda: 300)
    results = results_of(TrackingPipeline(Frames(images), detector, motion=gate))
    last = results[-1]
    assert last.gate.detect and last.gate.regions is not None and len(last.gate.regions) == 1
    x0, y0, x1, y1 = last.gate.regions[0]
    assert x1 - x0 == y1 - y0 >= 300 and x0 <= 920 + 6 and x1 >= 1220 - 6  # a small-frame pixel is 6
    alone = detector.detect(photo)
    dogs = last.detections[last.detections.class_ids == alone.class_ids[0]]
    assert len(dogs) >= 1
    # found where the photo is now (its left edge at 920)
    assert (dogs.boxes[:, 0] >= 915).all() and (dogs.boxes[:, 2] <= 1225).all()
    assert results[0].gate.regions is None  # the first frame (calibrating) is detected whole


def test_the_overlay_draws_moving_areas_regions_and_masks_on_the_frames(detector, photo):
    from camapp.motion import MotionMask, MotionSettings
    from camapp.motion.overlay import MASK, MOTION, REGION

    base = background(3)
    wide = cv2.resize(photo, (300, 150))  # the region (square) and the box differ
    images = []
    for k in range(4):
        image = base.copy()
        if k:
            image[300:450, 900 + 4 * k : 1200 + 4 * k] = wide
        images.append(image)
    mask = MotionMask.parse("0,0,0.1,0,0.1,0.1,0,0.1")
    gate = MotionGate(MotionSettings(masks=(mask,)), regions=True, overlay=True, keepalive_s=100.0)
    results = results_of(TrackingPipeline(Frames(images), detector, motion=gate))
    last = results[-1].frame.image
    x0, y0, x1, y1 = results[-1].gate.motion.boxes[0].tolist()
    assert (last[y0, x0:x1] == MOTION).all(axis=1).mean() > 0.9  # the box's top edge
    rx0, ry0, rx1, ry1 = results[-1].gate.regions[0]
    assert (last[ry0:ry1, rx0] == REGION).all(axis=1).mean() > 0.9  # the region's left edge
    assert (last[5:100, 5:100] != base[5:100, 5:100]).any(axis=2).all()  # the mask is shaded
    assert (last[1, 1:190] == MASK).all(axis=1).mean() > 0.9  # and outlined
