"""`camapp bench --source FILE`: per rung, raw inference vs the pipeline vs a sequential loop.

For every input size: the raw invoke rate (median of `--invokes` invokes on real frames of the
clip), the pipeline's throughput on the clip as fast as possible with rendering on, the same with
recording on, and, at equal threads, the single-thread loop of popular tutorial scripts (read,
resize, invoke, draw). The pipeline runs as `camapp run --no-realtime` does: with more than one
thread, as frame-parallel lanes (`--schedule`); the one-interpreter pipeline is measured beside
it for comparison. All four are measured back to back per size and per round (half the invokes
before the pipeline runs, half after the sequential loop), so load from other processes falls on
all of them alike and each round's ratio to raw compares figures taken seconds apart; each figure
is the median over `--repeat` rounds.

A full ladder takes minutes, so a progress bar on stderr (tqdm) says which rung, round and
measurement is running; it stays off when stderr is not a terminal (logs, pipes) or with --quiet.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import cv2
import numpy as np
from tqdm import tqdm

from camapp.cli.common import SCHEDULES, lanes_for, positive_int
from camapp.cli.eval import sizes_list
from camapp.detect import device_help
from camapp.errors import CamappError, SourceError
from camapp.pipeline import Result, Stats
from camapp.record.base import Worker
from camapp.render import annotate
from camapp.sources.opencv import OpenCVSource
from camapp.store.samples import expand_sample

WARMUP = 10  # results not timed at the start of each measurement (threads start, caches fill)
SAMPLES = 20  # real frames of the clip the raw invokes cycle through
SAMPLE_STEP = 10  # every 10th frame, so the samples span the clip's start rather than one scene


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("bench", help="throughput per input size: raw, pipeline, recording, sequential")
    p.add_argument("--source", required=True, metavar="FILE", help="a video file or sample:NAME")
    p.add_argument("--sizes", type=sizes_list, help="input sizes, e.g. 300,240,176 (default: the ladder)")
    p.add_argument("--frames", type=positive_int, default=300, help="frames per measurement (default 300)")
    p.add_argument("--repeat", type=positive_int, default=3, help="rounds; figures are medians (default 3)")
    p.add_argument("--threads", type=positive_int, help="CPU threads (default: all cores)")
    p.add_argument(
        "--schedule",
        choices=SCHEDULES,
        default="auto",
        help="the pipeline's schedule, as in `camapp run` (default auto: lanes, as --no-realtime runs)",
    )
    p.add_argument(
        "--invokes", type=positive_int, default=100, help="timed raw invokes per size and round (default 100)"
    )
    p.add_argument("--no-record", action="store_true", help="skip the recording measurement")
    p.add_argument(
        "--track",
        action="store_true",
        help="also the pipeline with the tracking stage (--track), and its fps / the pipeline's, per round",
    )
    p.add_argument("--json", action="store_true", help='print {"rows": [...], "peak_rss_mb": ...}')
    p.add_argument(
        "--quiet", action="store_true", help="no progress bar on stderr (off anyway without a TTY)"
    )
    p.add_argument("--model", help="catalog name or path to a .tflite SSD model (default: catalog default)")
    p.add_argument("--device", default="cpu", help=device_help())


class Renderer(Worker):
    """Draws every result as the app does (boxes + heads-up line), on its own thread."""

    def __init__(self) -> None:
        super().__init__("rendering", queue_size=0, name="camapp-render")
        self._start()

    def _handle(self, result: Result) -> None:
        annotate(result.frame.image, result.detections, result.stats)


def pipeline_fps(path: str, detector: Any, frames: int, record_to: Path | None, track: bool = False) -> float:
    """Frames per second through the whole pipeline, the clip read as fast as possible
    (`track`: with the tracking stage, as `camapp run --track` builds it)."""
    from camapp.record import VideoRecorder

    source = OpenCVSource(path, realtime=False, loop=True)
    source.open()
    consumers: list[Any] = [Renderer()]
    if record_to is not None:
        consumers.append(VideoRecorder(record_to, queue_size=0))
    stamps: list[float] = []
    # as the session builds it for `camapp run`, with tracking or without
    from camapp.session.specs import TrackSpec
    from camapp.session.tracking import build_pipeline

    pipeline, _ = build_pipeline(
        source, detector, consumers, TrackSpec() if track else None, max_frames=frames + WARMUP
    )
    pipeline.on_result(lambda r: stamps.append(time.perf_counter()))
    pipeline.start()
    pipeline.wait()
    pipeline.stop(timeout=60)  # includes finishing the recording: its cost shows if it lags
    end = time.perf_counter()
    if pipeline.stats.state == "error":
        raise CamappError(f"benchmark pipeline failed: {pipeline.stats.message}")
    return frames / (end - stamps[WARMUP - 1])


def sequential_fps(path: str, detector: Any, frames: int) -> float:
    """The tutorial loop: read, resize + invoke, draw, all on one thread."""
    cap = cv2.VideoCapture(path)
    stats = Stats(input_size=detector.input_size, state="running")
    t0 = 0.0
    for i in range(frames + WARMUP):
        if i == WARMUP:
            t0 = time.perf_counter()
        ok, image = cap.read()
        if not ok:
            cap.set(cv2.CAP_PROP_POS_FRAMES, 0)
            ok, image = cap.read()
        detections = detector.detect(image)
        annotate(image, detections, stats)
    cap.release()
    return frames / (time.perf_counter() - t0)


def sample_frames(path: str) -> list[np.ndarray]:
    """Real frames of the clip for the raw invokes: what the pipeline sees, not one still."""
    source = OpenCVSource(path, realtime=False)
    source.open()
    frames: list[np.ndarray] = []
    try:
        for i in range(SAMPLES * SAMPLE_STEP):
            frame = source.read()
            if frame is None:
                break
            if i % SAMPLE_STEP == 0:
                frames.append(frame.image)
    finally:
        source.close()
    if not frames:
        raise SourceError(f"{Path(path).name} has no frames to benchmark")
    return frames


def raw_invoke_ms(detector: Any, size: int, frames: list[np.ndarray], invokes: int) -> list[float]:
    """Invoke-only milliseconds of `invokes` invokes at `size`, cycling through `frames`."""
    times: list[float] = []
    per_frame = max(1, math.ceil(invokes / len(frames)))
    for image in frames:
        if len(times) >= invokes:
            break
        times += detector.invoke_times(size, image, runs=min(per_frame, invokes - len(times)))
    return times


def measure(args: argparse.Namespace) -> dict[str, Any]:
    from camapp.detect import open_detector

    path = expand_sample(args.source)
    probe = OpenCVSource(path, realtime=False)
    if probe.kind != "file":
        raise SourceError(f"bench needs a video file, not {probe.name}")
    frames = sample_frames(path)  # fails with a one-line reason before the model loads
    options = {"input_sizes": args.sizes, "input_size": args.sizes[0]} if args.sizes else {}
    detector = open_detector(args.model, device=args.device, threads=args.threads, **options)
    threads = getattr(detector, "threads", None)
    keys = (
        "invoke_ms",
        "pipeline",
        "record",
        "seq",
        "latency",
        "pipeline_x",
        "seq_x",
        "latency_x",
        "track",
        "track_x",
    )
    rows: dict[int, dict[str, list[float]]] = {}
    before = args.invokes // 2
    piped: Any = detector
    lanes = 1
    try:
        lanes = lanes_for(args, realtime=False) if threads else 1
        if lanes > 1:
            from camapp.detect.lanes import Lanes

            piped = Lanes(open_detector(args.model, device=args.device, threads=1, **options), lanes)
            piped.prepare()
        detector.prepare()
        sizes = list(detector.input_sizes)
        # per rung and round: raw invokes, pipeline, [track], [record], [one-interpreter pipeline], sequential
        steps = 3 + (not args.no_record) + (piped is not detector) + bool(getattr(args, "track", False))
        bar = tqdm(
            total=args.repeat * len(sizes) * steps,
            desc="bench",
            unit="step",
            leave=False,
            mininterval=0,  # a step takes seconds: draw every one
            disable=getattr(args, "quiet", False) or not sys.stderr.isatty(),
            bar_format="{desc}: {percentage:3.0f}%|{bar}| {n_fmt}/{total_fmt} [{elapsed}<{remaining}]",
        )

        def step(r: int, size: int, what: str) -> None:
            bar.set_description_str(f"bench round {r + 1}/{args.repeat}, input {size}: {what}")

        with bar, tempfile.TemporaryDirectory(prefix="camapp-bench-") as tmp:
            for r in range(args.repeat):
                for size in sizes:
                    row = rows.setdefault(size, {k: [] for k in keys})
                    detector.set_input_size(size)
                    piped.set_input_size(size)
                    step(r, size, "raw invokes")
                    invokes = raw_invoke_ms(detector, size, frames, before) if before else []
                    bar.update()
                    step(r, size, "pipeline")
                    row["pipeline"].append(pipeline_fps(path, piped, args.frames, None))
                    bar.update()
                    if getattr(args, "track", False):
                        step(r, size, "pipeline + track")
                        row["track"].append(pipeline_fps(path, piped, args.frames, None, track=True))
                        row["track_x"].append(row["track"][-1] / row["pipeline"][-1])
                        bar.update()
                    if not args.no_record:
                        step(r, size, "pipeline + record")
                        clip = Path(tmp) / f"bench-{size}-{r}.mp4"
                        row["record"].append(pipeline_fps(path, piped, args.frames, clip))
                        clip.unlink(missing_ok=True)
                        bar.update()
                    if piped is not detector:
                        step(r, size, "one-interpreter pipeline")
                        row["latency"].append(pipeline_fps(path, detector, args.frames, None))
                        bar.update()
                    step(r, size, "sequential loop")
                    row["seq"].append(sequential_fps(path, detector, args.frames))
                    invokes += raw_invoke_ms(detector, size, frames, args.invokes - before)
                    bar.update()
                    invoke_ms = statistics.median(invokes)
                    row["invoke_ms"].append(invoke_ms)
                    for k in ("pipeline", "seq", "latency"):  # this round's fps / raw fps
                        if row[k]:
                            row[f"{k}_x"].append(row[k][-1] * invoke_ms / 1000.0)
    finally:
        if piped is not detector:
            piped.close()
        detector.close()

    def med(values: list[float], digits: int) -> float | None:
        return round(statistics.median(values), digits) if values else None

    def lowest(values: list[float], digits: int) -> float | None:
        return round(min(values), digits) if values else None

    def highest(values: list[float], digits: int) -> float | None:
        return round(max(values), digits) if values else None

    return {
        "rows": [
            {
                "input_size": size,
                "invoke_ms": med(row["invoke_ms"], 2),
                "pipeline_fps": med(row["pipeline"], 1),
                "record_fps": med(row["record"], 1),
                "sequential_fps": med(row["seq"], 1),
                "pipeline_x_raw": med(row["pipeline_x"], 2),
                "sequential_x_raw": med(row["seq_x"], 2),
                "latency_pipeline_fps": med(row["latency"], 1),
                "latency_pipeline_x_raw": med(row["latency_x"], 2),
                "track_fps": med(row["track"], 1),
                "track_x_pipeline": med(row["track_x"], 3),  # each round's ratio, then the median
                "track_x_pipeline_min": lowest(row["track_x"], 3),
                "track_x_pipeline_max": highest(row["track_x"], 3),
            }
            for size, row in rows.items()
        ],
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0, 1),
        "threads": threads,
        "lanes": lanes,
        "cores": os.cpu_count(),
        "frames": args.frames,
        "repeat": args.repeat,
        "invokes": args.invokes,
        "source": Path(path).name,
    }


def run(args: argparse.Namespace) -> int:
    report = measure(args)
    if args.json:
        print(json.dumps(report, indent=2))
        return 0
    lanes = report["lanes"]
    plan = f"{lanes} lanes of 1 thread" if lanes > 1 else "one interpreter"
    print(
        f"{report['source']}, {report['frames']} frames per figure, median of {report['repeat']} rounds, "
        f"{report['threads']} threads on {report['cores']} cores; raw and sequential: one "
        f"{report['threads']}-thread interpreter; pipeline: {plan}; x raw = median of each round's "
        "fps / raw fps"
    )
    latency = lanes > 1
    extra = " one-interpreter pipeline fps | x raw |" if latency else ""
    print(
        "| input | invoke ms | raw fps | pipeline fps | x raw | + record fps | record cost "
        f"| sequential fps | x raw |{extra}"
    )
    print("|---:" * (11 if latency else 9) + "|")
    for row in report["rows"]:
        raw = 1000.0 / row["invoke_ms"]
        rec = row["record_fps"]
        cost = f"{100 * (1 - rec / row['pipeline_fps']):.0f}%" if rec else "-"
        tail = (
            f" {row['latency_pipeline_fps']:.1f} | {row['latency_pipeline_x_raw']:.2f} |" if latency else ""
        )
        print(
            f"| {row['input_size']} | {row['invoke_ms']:.2f} | {raw:.1f} | {row['pipeline_fps']:.1f} "
            f"| {row['pipeline_x_raw']:.2f} | {rec if rec else '-'} | {cost} | {row['sequential_fps']:.1f} "
            f"| {row['sequential_x_raw']:.2f} |{tail}"
        )
    if any(row["track_fps"] for row in report["rows"]):
        print("\n".join(track_table(report)))
    print(f"peak RSS {report['peak_rss_mb']} MB")
    return 0


def track_table(report: dict[str, Any]) -> list[str]:
    """The tracking stage's cost, as the ratio within each round (both pipelines run back to back,
    so load from other processes falls on both alike): its median and its range. The fps columns
    are medians of their own and may come from different rounds, so their quotient is not the
    ratio; the note under the table says so rather than leaving a reader to divide."""
    n = report["repeat"]
    lines = [
        f"| input | pipeline fps (median of {n}) | with --track fps (median of {n}) "
        f"| with --track / pipeline, per round: median | min | max |",
        "|---:|---:|---:|---:|---:|---:|",
    ]
    for row in report["rows"]:
        lines.append(
            f"| {row['input_size']} | {row['pipeline_fps']:.1f} | {row['track_fps']:.1f} "
            f"| {row['track_x_pipeline']:.3f} | {row['track_x_pipeline_min']:.3f} "
            f"| {row['track_x_pipeline_max']:.3f} |"
        )
    lines.append(
        "each round runs the pipeline without, then with the tracking stage; the ratio is taken within "
        "a round, then its median over rounds. The fps medians may come from different rounds: their "
        "quotient is not that ratio (read the ratio; below 1 the stage costs throughput)."
    )
    return lines
