"""`camapp bench-track`: how good the predicted boxes are, and what the tracking stage costs.

Prediction quality: the detector runs on every frame of each clip once; then the frames are
replayed through the tracking stage with only every N-th frame's detections given to it, and on
the frames in between its predicted boxes are compared with the detections of that very frame:
the share of those every-frame boxes that have a predicted box of the same class at IoU >= 0.5
(greedy matching, best IoU first) and the mean IoU of the matches. The baseline is what an app
without a tracker shows on those frames: the last detected boxes, repeated.

Cost: the stage (tracker, one line, one zone) per frame with `--objects` objects moving across
the frame, median milliseconds over `--repeat` rounds of `--frames` frames.
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path
from typing import Any

import numpy as np

from camapp.cli.common import csv, positive_int
from camapp.types import Detections, Frame


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("bench-track", help="tracking: predicted-box quality per --detect-every N, stage cost")
    p.add_argument("--source", action="append", required=True, metavar="FILE", help="video file (repeatable)")
    p.add_argument(
        "--every", type=counts, default=[2, 3, 5], metavar="N,N", help="detect every N (default 2,3,5)"
    )
    p.add_argument("--classes", type=csv, help="only these labels, e.g. person,bottle (default: all)")
    p.add_argument("--threshold", type=float, default=0.5, help="detector score threshold (default 0.5)")
    p.add_argument("--objects", type=positive_int, default=20, help="objects for the cost row (default 20)")
    p.add_argument("--frames", type=positive_int, default=300, help="frames per cost round (default 300)")
    p.add_argument("--repeat", type=positive_int, default=5, help="cost rounds, median (default 5)")
    p.add_argument("--max-frames", type=positive_int, help="use only the first N frames of each clip")


def counts(text: str) -> list[int]:
    return [positive_int(n) for n in csv(text)]


def iou_matrix(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    lt = np.maximum(a[:, None, :2], b[None, :, :2])
    rb = np.minimum(a[:, None, 2:], b[None, :, 2:])
    inter = np.prod(np.clip(rb - lt, 0, None), axis=2)
    area = lambda x: np.prod(x[:, 2:] - x[:, :2], axis=1)  # noqa: E731
    return inter / np.maximum(area(a)[:, None] + area(b)[None, :] - inter, 1e-9)


def greedy_matches(truth: Detections, guess: Detections, min_iou: float = 0.5) -> list[float]:
    """IoUs of greedy one-to-one matches (best first) between boxes of the same class."""
    if not len(truth) or not len(guess):
        return []
    iou = iou_matrix(truth.boxes, guess.boxes)
    iou[truth.class_ids[:, None] != guess.class_ids[None, :]] = 0.0
    out = []
    while True:
        i, j = np.unravel_index(int(np.argmax(iou)), iou.shape)
        if iou[i, j] < min_iou:
            return out
        out.append(float(iou[i, j]))
        iou[i, :] = 0.0
        iou[:, j] = 0.0


_PIXEL = np.zeros((1, 1, 3), np.uint8)  # what a kept frame's image is made of: one pixel, broadcast


def detect_all(path: str, detector: Any, limit: int | None) -> list[tuple[Frame, Detections]]:
    """Every frame's detections (the image is dropped: only its shape and time are kept)."""
    from camapp.sources.opencv import OpenCVSource

    source = OpenCVSource(path, realtime=False)
    source.open()
    out = []
    try:
        while limit is None or len(out) < limit:
            frame = source.read()
            if frame is None:
                break
            dets = detector.detect(frame.image)
            out.append(
                (
                    Frame(
                        np.broadcast_to(_PIXEL, frame.image.shape),  # only its width and height matter
                        frame.timestamp,
                        frame.index,
                        frame.media_time,
                    ),
                    dets,
                )
            )
    finally:
        source.close()
    return out


def quality(
    frames: list[tuple[Frame, Detections]], every: int, fps: float, threshold: float
) -> dict[str, dict[str, float]]:
    """Tracker and repeat-last figures on the frames without a detection. `frames` hold the
    detections down to the tracker's `low` score (what the pipeline feeds it); the truth and the
    baseline are those at `threshold`."""
    from camapp.track import TrackStage, open_tracker

    stage = TrackStage(open_tracker(fps=fps, threshold=threshold))
    totals = {"tracker": [0, []], "repeat": [0, []]}
    last: Detections | None = None
    for frame, low in frames:
        dets = low[low.scores >= threshold]
        if frame.index % every == 0:
            stage.process(frame, low)
            last = dets
            continue
        predicted, _ = stage.process(frame, None)
        for name, guess in (("tracker", predicted), ("repeat", last)):
            totals[name][0] += len(dets)
            totals[name][1] += greedy_matches(dets, guess if guess is not None else Detections.empty())
    return {
        name: {
            "boxes": n,
            "matched": len(ious) / n if n else float("nan"),
            "mean_iou": statistics.fmean(ious) if ious else float("nan"),
        }
        for name, (n, ious) in totals.items()
    }


def stage_cost(objects: int, frames: int, repeat: int) -> list[dict[str, float]]:
    """Per round, median milliseconds per frame of the stage (tracker + a line + a zone) with
    `objects` moving boxes: wall time, this thread's CPU time (what the stage itself burns,
    less skewed by other processes on a loaded machine), and the CPU time of the tracker alone
    (its update on the same boxes), to show what the lines, zones and ids add."""
    from camapp.track import Line, TrackStage, Zone, open_tracker

    rng = np.random.default_rng(0)
    h, w = 720, 1280
    start = rng.uniform([0, 0], [w - 60, h - 120], (objects, 2))
    speed = rng.uniform(-4, 4, (objects, 2))
    image = np.broadcast_to(np.zeros((1, 1, 3), np.uint8), (h, w, 3))
    boxes = []
    for i in range(frames):
        xy = np.mod(start + speed * i, [w - 60, h - 120]) + rng.normal(0, 1, (objects, 2))
        boxes.append(
            Detections(
                np.hstack([xy, xy + [50, 110]]),
                rng.uniform(0.5, 0.95, objects),
                np.zeros(objects),
                ("person",),
            )
        )
    rounds = []
    for _ in range(repeat):
        stage = TrackStage(
            open_tracker(fps=30), [Line.parse("mid:0.5,0,0.5,1")], [Zone.parse("left:0,0,0.4,0,0.4,1,0,1")]
        )
        bare = open_tracker(fps=30)
        wall, cpu, lib = [], [], []
        for i, dets in enumerate(boxes):
            t0, c0 = time.perf_counter(), time.thread_time()
            stage.process(Frame(image, i / 30, i, i / 30), dets)
            wall.append((time.perf_counter() - t0) * 1000)
            cpu.append((time.thread_time() - c0) * 1000)
            c0 = time.thread_time()
            bare.update(dets)
            lib.append((time.thread_time() - c0) * 1000)
        rounds.append(
            {k: statistics.median(v[10:]) for k, v in (("wall", wall), ("cpu", cpu), ("tracker", lib))}
        )
    return rounds


def run(args: argparse.Namespace) -> int:
    from camapp.detect import open_detector
    from camapp.session.specs import class_ids
    from camapp.track import open_tracker

    # a missing extra is reported before the clips are decoded; the detector keeps boxes down
    # to the tracker's `low` score, as the pipeline runs it under a tracker
    low = open_tracker(threshold=args.threshold).low
    every = args.every
    detector = open_detector(threshold=low)
    try:
        detector.classes = frozenset(class_ids(detector.names, args.classes)) if args.classes else None
        clips = {}
        for path in args.source:
            from camapp.sources.opencv import OpenCVSource

            probe = OpenCVSource(path, realtime=False)
            probe.open()
            fps = probe.fps or 30.0
            probe.close()
            clips[Path(path).name] = (fps, detect_all(path, detector, args.max_frames))
    finally:
        detector.close()
    print(
        "prediction quality on the frames without a detection (every-frame detections as truth; IoU >= 0.5, greedy)"
    )
    print(
        "| clip | N | boxes | tracker matched | tracker mean IoU | repeat-last matched | repeat-last mean IoU |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|")
    for name, (fps, frames) in clips.items():
        for n in every:
            q = quality(frames, n, fps, args.threshold)
            t, r = q["tracker"], q["repeat"]
            print(
                f"| {name} | {n} | {t['boxes']} | {100 * t['matched']:.1f}% | {t['mean_iou']:.3f} "
                f"| {100 * r['matched']:.1f}% | {r['mean_iou']:.3f} |"
            )
    rounds = stage_cost(args.objects, args.frames, args.repeat)
    print(
        f"tracking stage cost, {args.objects} objects, a line and a zone (ms per frame, median of each round)"
    )
    print("| round | wall | thread CPU | tracker alone, thread CPU | stage CPU / tracker |")
    print("|---:|---:|---:|---:|---:|")
    for i, r in enumerate([*rounds, {k: statistics.median(x[k] for x in rounds) for k in rounds[0]}]):
        name = "median" if i == len(rounds) else str(i + 1)
        print(
            f"| {name} | {r['wall']:.3f} | {r['cpu']:.3f} | {r['tracker']:.3f} | {r['cpu'] / r['tracker']:.2f} |"
        )
    return 0
