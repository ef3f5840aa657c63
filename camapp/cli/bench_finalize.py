"""Finalize cost: `python -m camapp.cli.bench_finalize CLIP [--minutes 10] [--size 1280x720] [--runs 5] [--crf 23]`.

Makes a fragmented MP4 as long as a real recording of that size (the recorder's own `Encoder` and
`ClipWriter`): 10 s of the clip, resized and encoded once at 30 fps, then its packets written again
and again with later timestamps, so the file has real packet sizes and keyframes without spending
minutes encoding. Then it finalizes a fresh copy of it `runs` times and prints one table row: file
size, frames, and the finalize time (median, min, max). The file is in the page cache, as a
recording that just ended is. `scripts/finalize-stall` measures the GUI's event-loop stall meanwhile.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import tempfile
import time
from pathlib import Path

import cv2

from camapp.record.encode import ClipWriter, Encoder
from camapp.record.finalize import finalize

RATE = 30.0
LOOP_SECONDS = 10.0


def make_recording(clip: str | Path, out: Path, minutes: float, size: tuple[int, int], crf: int = 23) -> int:
    """Write `minutes` of fragmented MP4 at `size` and 30 fps to `out`; returns the frame count.

    `crf` 23 is the recorder's; a lower one makes the bigger files of a busier, noisier camera."""
    cap = cv2.VideoCapture(str(clip))
    images = []
    while len(images) < LOOP_SECONDS * RATE:
        ok, img = cap.read()
        if not ok:
            if not images:
                raise SystemExit(f"cannot read frames from {clip}")
            cap.set(cv2.CAP_PROP_POS_FRAMES, 0)
            continue
        images.append(cv2.resize(img, size, interpolation=cv2.INTER_LINEAR))
    cap.release()
    enc = Encoder(crf=crf)
    chunk = [p for i, img in enumerate(images) for p in enc.encode(img, i / RATE, key=i == 0)]
    chunk += enc.flush()
    period = round(LOOP_SECONDS / float(enc.time_base))
    total = round(minutes * 60 * RATE)
    writer = ClipWriter(out, enc)
    try:
        n = 0
        while n < total:
            shift = (n // len(chunk)) * period
            take = chunk[: total - n]
            writer.write(p._replace(pts=p.pts + shift, dts=p.dts + shift) for p in take)
            n += len(take)
    finally:
        writer.close()
    return total


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(
        prog="python -m camapp.cli.bench_finalize", description=__doc__.split("\n")[0]
    )
    ap.add_argument("clip")
    ap.add_argument("--minutes", type=float, default=10.0)
    ap.add_argument("--size", default="1280x720", help="WxH (default 1280x720)")
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--crf", type=int, default=23, help="x264 quality (the recorder's: 23; lower = bigger)")
    ap.add_argument("--dir", help="where to write (default: a temporary folder; needs 2x the file size)")
    args = ap.parse_args(argv)
    w, h = (int(v) for v in args.size.lower().split("x"))
    with tempfile.TemporaryDirectory(prefix="camapp-finalize-", dir=args.dir) as tmp:
        src = Path(tmp) / "fragmented.mp4"
        t0 = time.perf_counter()
        frames = make_recording(args.clip, src, args.minutes, (w, h), args.crf)
        made = time.perf_counter() - t0
        mb = src.stat().st_size / 1e6
        times = []
        for i in range(args.runs):
            dst = Path(tmp) / f"run{i}.mp4"
            shutil.copyfile(src, dst)
            done = finalize(dst, frames)
            times.append(done.seconds)
            dst.unlink()
        print(
            f"recording: {args.minutes:g} min of {w}x{h} at {RATE:g} fps, crf {args.crf}, made in {made:.1f} s"
        )
        print(
            f"{'size':>8} {'frames':>7} {'duration':>9} {'finalize median':>16} {'min':>7} {'max':>7} {'MB/s':>7}"
        )
        med = statistics.median(times)
        print(
            f"{mb:>6.1f}MB {frames:>7} {done.duration:>8.1f}s {med:>15.2f}s {min(times):>6.2f}s "
            f"{max(times):>6.2f}s {mb / med:>7.0f}"
        )


if __name__ == "__main__":
    main()
