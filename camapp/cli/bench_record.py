"""Recording cost per frame size: `python -m camapp.cli.bench_record CLIP [--frames N] [--runs R] [--preset P]`.

Prints one table row per frame size: the median over `runs` of the per-frame annotate and encode
times (on the recorder's thread, measured with the same code the recorder runs), the bitrate at the
clip's frame rate, and how long `close()` took. Frames are the clip's, resized to each size.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path
from types import SimpleNamespace

import cv2
import numpy as np

from camapp.record.encode import PRESET, X264_PRESETS, ClipWriter, Encoder
from camapp.render import annotate
from camapp.types import Detections

SIZES = ((320, 240), (768, 432), (1280, 720), (1920, 1080))


def read_frames(clip: str | Path, count: int) -> tuple[list[np.ndarray], float]:
    cap = cv2.VideoCapture(str(clip))
    fps = cap.get(cv2.CAP_PROP_FPS) or 30.0
    frames = []
    while len(frames) < count:
        ok, img = cap.read()
        if not ok:
            break
        frames.append(img)
    cap.release()
    if not frames:
        raise SystemExit(f"cannot read frames from {clip}")
    return frames, fps


def bench_size(
    frames: list[np.ndarray], fps: float, size: tuple[int, int], ext: str, workdir: Path, preset: str = PRESET
) -> dict[str, float]:
    """One run: per-frame medians (ms), bitrate (kbit/s) and close time (ms)."""
    imgs = [cv2.resize(f, size, interpolation=cv2.INTER_AREA) for f in frames]
    h, w = imgs[0].shape[:2]
    dets = Detections([[w * 0.1, h * 0.2, w * 0.4, h * 0.9]], [0.87], [0], ["person"])
    stats = SimpleNamespace(capture_fps=fps, inference_fps=fps, infer_ms=8.0, input_size=300)
    enc = Encoder(preset=preset)
    writer = ClipWriter(workdir / f"bench-{w}x{h}{ext}", enc)
    ann_ms, enc_ms = [], []
    for i, img in enumerate(imgs):
        t0 = time.perf_counter()
        out = annotate(img, dets, stats)
        t1 = time.perf_counter()
        writer.write(enc.encode(out, i / fps))
        t2 = time.perf_counter()
        ann_ms.append((t1 - t0) * 1e3)
        enc_ms.append((t2 - t1) * 1e3)
    t0 = time.perf_counter()
    writer.write(enc.flush())
    writer.close()
    close_ms = (time.perf_counter() - t0) * 1e3
    seconds = len(imgs) / fps
    kbps = writer.path.stat().st_size * 8 / 1e3 / seconds
    writer.path.unlink()
    return {
        "annotate": statistics.median(ann_ms),
        "encode": statistics.median(enc_ms),
        "kbps": kbps,
        "close": close_ms,
    }


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(prog="python -m camapp.cli.bench_record", description=__doc__)
    ap.add_argument("clip")
    ap.add_argument("--frames", type=int, default=100)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--ext", default=".mp4", choices=[".mp4", ".mkv"])
    ap.add_argument(
        "--preset",
        default=PRESET,
        choices=X264_PRESETS,
        help=f"libx264 preset (default {PRESET}, as camapp records)",
    )
    args = ap.parse_args(argv)
    frames, fps = read_frames(args.clip, args.frames)
    codec = Encoder().codec
    print(
        f"{len(frames)} frames of {Path(args.clip).name} at {fps:.2f} fps, {args.ext}, {codec} {args.preset},"
    )
    print(f"median of {args.runs} runs (per-frame times are medians within each run)")
    print(f"{'size':>10} | {'annotate ms':>11} | {'encode ms':>9} | {'kbit/s':>7} | {'close ms':>8}")
    with tempfile.TemporaryDirectory() as tmp:
        for size in SIZES:
            runs = [bench_size(frames, fps, size, args.ext, Path(tmp), args.preset) for _ in range(args.runs)]
            med = {k: statistics.median(r[k] for r in runs) for k in runs[0]}
            print(
                f"{size[0]:>4}x{size[1]:<5} | {med['annotate']:11.2f} | {med['encode']:9.2f} | "
                f"{med['kbps']:7.0f} | {med['close']:8.1f}"
            )


if __name__ == "__main__":
    main()
