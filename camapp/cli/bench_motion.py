"""`camapp bench-motion`: what the motion gate saves and what motion regions find.

- **cost**: the motion stage (`MotionDetector.update`) per frame at 720p and 1080p, camera noise
  with a moving square, process CPU time (OpenCV's threads included); the median of `--repeat`
  rounds' medians.
- **cpu**: CPU seconds (user + sys of this process, from the first frame to the end) of the
  person clip at its own rate, always-detect vs `--motion`, both with tracking and the counting
  line `door:0,0.65,1,0.65`: crossings and distinct persons must hold.
- **still**: a still 720p frame with Gaussian noise (sigma 3) at 15 fps for `--still-s` seconds
  from memory (no decoding), always-detect vs `--motion`: CPU seconds and inferences.
- **small**: COCO mAP (pycocotools) of small objects: each image of the dataset at half its
  size moving 4 px a frame across a still 1920x1080 background (its boxes moved alike), scored
  on the fifth frame: whole-frame detection vs the motion regions, beside the same photos alone
  at 300 (as `camapp eval --sizes 300`).

The pipelines are the session's own (`build_pipeline`, as `camapp run` gets them).
"""

from __future__ import annotations

import argparse
import contextlib
import copy
import io
import resource
import statistics
import threading
import time
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from camapp.cli.common import csv, positive_float, positive_int
from camapp.errors import CamappError
from camapp.types import Frame

SECTIONS = ("cost", "cpu", "still", "small")
DOOR = "door:0,0.65,1,0.65"
BIG_W, BIG_H, STEP, STEPS = 1920, 1080, 4, 4  # the small section's frame, px per frame, frames
ASPECTS = (1.0, 16 / 9)  # square regions, and regions no more stretched than a 16:9 frame


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("bench-motion", help="motion: stage cost, CPU saved by --motion, small-object mAP")
    p.add_argument(
        "--only", type=csv, default=list(SECTIONS), metavar="A,B", help=f"sections: {','.join(SECTIONS)}"
    )
    p.add_argument("--clip", default="sample:person", help="the cpu section's clip (default sample:person)")
    p.add_argument("--dataset", metavar="DIR", help="COCO-format dataset for the small section (coco32)")
    p.add_argument("--still-s", type=positive_float, default=60.0, help="still section length (default 60 s)")
    p.add_argument(
        "--pace",
        type=csv,
        default=list(PACES),
        metavar="own,all",
        help="cpu and still sections: at the source's own rate (stale frames dropped when the detector "
        "falls behind), every frame, or both (default)",
    )
    p.add_argument("--repeat", type=positive_int, default=5, help="cost rounds, median (default 5)")
    p.add_argument("--frames", type=positive_int, default=200, help="frames per cost round (default 200)")


def cpu_seconds() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def table(title: str, head: list[str], rows: list[list[Any]]) -> None:
    cells = [head] + [[str(c) for c in r] for r in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(head))]
    print(f"\n{title}")
    for j, r in enumerate(cells):
        print("| " + " | ".join(c.ljust(w) for c, w in zip(r, widths)) + " |")
        if j == 0:
            print("|" + "|".join("-" * (w + 2) for w in widths) + "|")


def noisy_frames(shape: tuple[int, int], n: int, seed: int = 0, square: bool = False) -> list[np.ndarray]:
    """`n` frames of one still scene plus Gaussian noise (sigma 3); with `square`, a bright
    square moving 8 px a frame."""
    rng = np.random.default_rng(seed)
    h, w = shape
    scene = cv2.resize(
        rng.integers(30, 220, (9, 16, 3), dtype=np.uint8), (w, h), interpolation=cv2.INTER_CUBIC
    )
    frames = []
    for i in range(n):
        image = scene.astype(np.int16)
        if square:
            x = (100 + 8 * i) % (w - 200)
            image[h // 3 : h // 3 + 120, x : x + 120] = 250
        noise = np.empty(scene.shape, np.int16)
        cv2.randn(noise, 0, 3)
        frames.append(np.clip(image + noise, 0, 255).astype(np.uint8))
    return frames


def cost(args: argparse.Namespace) -> None:
    from camapp.motion import MotionDetector

    rows = []
    for name, shape in (("720p", (720, 1280)), ("1080p", (1080, 1920))):
        for moving in (False, True):
            frames = noisy_frames(shape, 16, square=moving)
            medians = []
            for _ in range(args.repeat):
                md = MotionDetector()
                md.update(frames[0])
                ms = []
                for i in range(args.frames):
                    t0 = time.process_time()
                    md.update(frames[i % len(frames)])
                    ms.append((time.process_time() - t0) * 1000)
                medians.append(statistics.median(ms))
            rows.append(
                [name, "moving square" if moving else "still + noise", f"{statistics.median(medians):.3f}"]
            )
    table(
        f"motion stage per frame (process CPU ms, median of {args.repeat} x {args.frames})",
        ["frame", "scene", "ms"],
        rows,
    )


class StillSource:
    """A still noisy 720p scene at `fps` for `seconds`, from memory (no decoding cost), paced in
    real time, or with `realtime=False` handed out as fast as the pipeline takes them (frames
    still stamped `fps` apart)."""

    live = True

    def __init__(self, fps: float, seconds: float, realtime: bool = True) -> None:
        self.fps, self.total, self.realtime = fps, int(round(fps * seconds)), realtime
        self.frames = noisy_frames((720, 1280), 16, seed=1)
        self.i, self.t0 = 0, 0.0

    def open(self) -> None:
        pass

    def read(self) -> Frame | None:
        if self.i >= self.total:
            return None
        if self.i == 0:
            self.t0 = time.monotonic()
        wait = self.t0 + self.i / self.fps - time.monotonic()
        if self.realtime and wait > 0:
            time.sleep(wait)
        frame = Frame(self.frames[self.i % len(self.frames)], time.monotonic(), self.i, self.i / self.fps)
        self.i += 1
        return frame

    def close(self) -> None:
        pass


PACES = {"own": True, "all": False}  # real time (stale frames dropped), or every frame


def pipeline_run(source: Any, detector: Any, tracking: Any, motion: Any) -> dict[str, Any]:
    """One run of the session's pipeline to the end of `source`: CPU seconds and figures."""
    from camapp.session.tracking import build_pipeline

    p, stage = build_pipeline(source, detector, [], tracking, motion=motion)
    p.set_threshold(0.5)
    first = threading.Event()
    p.on_result(lambda r: first.set())
    p.start()
    first.wait(60)
    c0, t0 = cpu_seconds(), time.monotonic()
    p.wait(3600)
    cpu, wall = cpu_seconds() - c0, time.monotonic() - t0
    p.stop()
    st = p.stats
    out = {
        "cpu": cpu,
        "wall": wall,
        "frames": st.frames,
        "detected": st.frames - st.predicted,
        "dropped": st.dropped,
    }
    if stage is not None:
        snap = stage.snapshot()
        out["crossings"] = sum(snap["lines"].get("door", {}).values())
        out["persons"] = snap["distinct"].get("person", 0)
    return out


def against_always(
    title: str, runs: dict[str, dict[str, Any]], digits: int, extra: tuple[str, ...] = ()
) -> None:
    """The runs' table: wall and CPU seconds, the CPU ratio to always detecting (`digits`
    decimals), frames, drops and detections, then the `extra` figures."""
    base = runs["always detect"]["cpu"]
    rows = [
        [
            n,
            f"{r['wall']:.1f}",
            f"{r['cpu']:.2f}",
            f"{r['cpu'] / base:.{digits}f}",
            r["frames"],
            r["dropped"],
            r["detected"],
            *(r[k] for k in extra),
        ]
        for n, r in runs.items()
    ]
    table(title, ["mode", "wall s", "CPU s", "ratio", "frames", "dropped", "detected", *extra], rows)


def cpu(args: argparse.Namespace, detector: Any) -> None:
    from camapp.session import MotionSpec, TrackSpec
    from camapp.sources import open_source

    tracking = TrackSpec.parse([DOOR]).check()
    for pace in args.pace:
        runs = {}
        for name, motion in (("always detect", None), ("--motion", MotionSpec())):
            source = open_source(args.clip, realtime=PACES[pace])
            runs[name] = pipeline_run(source, detector, tracking, motion)
        how = "at its own rate" if PACES[pace] else "every frame (as fast as it goes)"
        title = f"{args.clip} {how}, --track --line {DOOR} (one run each, one after the other)"
        against_always(title, runs, 2, ("crossings", "persons"))


def still(args: argparse.Namespace, detector: Any) -> None:
    from camapp.session import MotionSpec

    spec = MotionSpec()
    keepalive = 1 + int((args.still_s - 1e-9) // spec.keepalive)
    for pace in args.pace:
        runs = {}
        for name, motion in (("always detect", None), ("--motion", spec)):
            runs[name] = pipeline_run(StillSource(15.0, args.still_s, PACES[pace]), detector, None, motion)
        how = "in real time" if PACES[pace] else "every frame (as fast as it goes)"
        title = (
            f"still 720p scene + noise sigma 3, 15 fps, {args.still_s:g} s, {how} (first detection + "
            f"keep-alive every {spec.keepalive:g} s = {keepalive})"
        )
        against_always(title, runs, 3)


def coco_map(gt: dict[str, Any], results: list[dict[str, Any]]) -> float:
    from pycocotools.coco import COCO
    from pycocotools.cocoeval import COCOeval

    if not results:
        return 0.0
    with contextlib.redirect_stdout(io.StringIO()):
        coco = COCO()
        coco.dataset = gt
        coco.createIndex()
        ev = COCOeval(coco, coco.loadRes(results), "bbox")
        ev.evaluate()
        ev.accumulate()
        ev.summarize()
    return float(ev.stats[0])


def as_results(dets: Any, image_id: int, cats: dict[int, int]) -> list[dict[str, Any]]:
    out = []
    for box, score, cid in zip(dets.boxes.tolist(), dets.scores.tolist(), dets.class_ids.tolist()):
        if cid in cats:
            x0, y0, x1, y1 = box
            out.append(
                {
                    "image_id": image_id,
                    "category_id": cats[cid],
                    "bbox": [x0, y0, x1 - x0, y1 - y0],
                    "score": score,
                }
            )
    return out


def small(args: argparse.Namespace, detector: Any) -> None:
    from camapp.eval import category_ids, evaluate, load_dataset
    from camapp.motion.regions import dedupe, shift
    from camapp.pipeline.gate import Gates, MotionGate

    if not args.dataset:
        raise CamappError("the small section needs --dataset DIR (a COCO-format folder such as coco32)")
    data = load_dataset(args.dataset)
    cats = category_ids(detector.names, data)
    alone = evaluate(detector, data, [300], progress=False)[0].map
    detector.threshold, detector.classes = 0.0, None
    rng = np.random.default_rng(7)
    gy, gx = np.mgrid[0:BIG_H, 0:BIG_W]
    background = np.dstack([90 + 60 * gx / BIG_W, 110 + 40 * gy / BIG_H, np.full((BIG_H, BIG_W), 120.0)])
    background = background.astype(np.uint8)
    gt = copy.deepcopy(data.annotations)
    whole: list[dict[str, Any]] = []
    regions: dict[float, list[dict[str, Any]]] = {a: [] for a in ASPECTS}
    used = dict.fromkeys(ASPECTS, 0)
    by_image: dict[int, list[dict[str, Any]]] = {}
    for a in gt["annotations"]:
        by_image.setdefault(a["image_id"], []).append(a)
    for info in gt["images"]:
        photo = cv2.imread(str(data.images_dir / info["file_name"]), cv2.IMREAD_COLOR)
        if photo is None:
            raise CamappError(f"cannot read {info['file_name']}")
        photo = cv2.resize(photo, (photo.shape[1] // 2, photo.shape[0] // 2), interpolation=cv2.INTER_AREA)
        ph, pw = photo.shape[:2]
        x0 = int(rng.integers(0, BIG_W - pw - STEP * STEPS))
        y0 = int(rng.integers(0, BIG_H - ph))
        gates = {
            a: Gates(
                [
                    MotionGate(
                        regions=True, keepalive_s=1e9, aspect=a, input_size=lambda: int(detector.input_size)
                    )
                ]
            )
            for a in ASPECTS
        }
        for k in range(STEPS + 1):  # the background alone, then the photo moving
            image = background.copy()
            if k:
                image[y0 : y0 + ph, x0 + STEP * k : x0 + STEP * k + pw] = photo
            noise = np.empty(image.shape, np.int16)
            cv2.randn(noise, 0, 3)
            image = np.clip(image.astype(np.int16) + noise, 0, 255).astype(np.uint8)
            frame = Frame(image, time.monotonic(), k, k / 15)
            plans = {a: g.plan(frame) for a, g in gates.items()}
        full = detector.detect(image)
        whole += as_results(full, info["id"], cats)
        for a, plan in plans.items():
            found = full
            if plan.regions is not None:
                used[a] += 1
                crops = [
                    (shift(detector.detect(np.ascontiguousarray(image[r[1] : r[3], r[0] : r[2]])), r), r)
                    for r in plan.regions
                ]
                found = dedupe(crops, image.shape)
            regions[a] += as_results(found, info["id"], cats)
        dx = x0 + STEP * STEPS
        info["width"], info["height"] = BIG_W, BIG_H
        for a in by_image.get(info["id"], []):
            x, y, w, h = a["bbox"]
            a["bbox"] = [x / 2 + dx, y / 2 + y0, w / 2, h / 2]
            a["area"] = a["area"] / 4
            a.pop("segmentation", None)
    m_whole = coco_map(gt, whole)
    n = len(gt["images"])
    rows = [
        ["photos alone (camapp eval --sizes 300)", f"{alone:.3f}", "", ""],
        [f"{BIG_W}x{BIG_H}, whole frame", f"{m_whole:.3f}", "1.00", f"{m_whole / alone:.2f}"],
    ]
    for a in ASPECTS:
        m = coco_map(gt, regions[a])
        kind = "square" if a == 1 else f"up to {a:.2f}:1"
        rows.append(
            [
                f"{BIG_W}x{BIG_H}, motion regions, {kind} ({used[a]}/{n} frames)",
                f"{m:.3f}",
                f"{m / max(m_whole, 1e-9):.2f}",
                f"{m / alone:.2f}",
            ]
        )
    table(
        f"small objects: {Path(args.dataset).name} photos at half size moving {STEP} px/frame on a still "
        f"{BIG_W}x{BIG_H} frame (noise sigma 3), scored on frame {STEPS}; COCO mAP@[.5:.95], input 300",
        ["detection", "mAP", "x whole frame", "of alone"],
        rows,
    )


def run(args: argparse.Namespace) -> int:
    from camapp.session import ModelSpec
    from camapp.session.loader import load_detector

    unknown = [s for s in args.only if s not in SECTIONS]
    if unknown:
        raise CamappError(f"unknown section {unknown[0]!r}; choose from {', '.join(SECTIONS)}")
    if any(p not in PACES for p in args.pace):
        raise CamappError(f"--pace takes own, all or both: {','.join(args.pace)}")
    if "small" in args.only and not args.dataset:
        raise CamappError("the small section needs --dataset DIR (a COCO-format folder such as coco32)")
    print("CPU figures are of this process (user + sys); other load on the machine does not count.")
    if "cost" in args.only:
        cost(args)
    if not set(args.only) - {"cost"}:
        return 0
    detector = load_detector(ModelSpec(input_size=300), threshold=0.5)
    try:
        if "cpu" in args.only:
            cpu(args, detector)
        if "still" in args.only:
            still(args, detector)
        if "small" in args.only:
            small(args, detector)
    finally:
        detector.close()
    return 0
