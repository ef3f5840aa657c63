"""A real recording process for the crash and full-disk tests (run as a subprocess, not collected).

It feeds real frames of a shared clip into a recorder at a steady pace, printing one line per
submitted frame (`frame <submitted> <frames_written> <elapsed> <error>`), and a JSON summary when done.
`--fsize` caps the file size with RLIMIT_FSIZE (SIGXFSZ ignored, so writes fail with EFBIG like
a full disk); the process keeps submitting after the error, as the pipeline would.
"""

from __future__ import annotations

import argparse
import json
import resource
import signal
import sys
import time

import cv2

from camapp.pipeline import Result, Stats
from camapp.record import DetectionLog, Segments, SnapshotWriter, VideoRecorder
from camapp.types import Detections, Frame
from tests.record.marks import marked


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("clip")
    ap.add_argument("out")
    ap.add_argument("--kind", default="video", choices=["video", "log", "snapshots"])
    ap.add_argument("--frames", type=int, default=300)
    ap.add_argument("--pace", type=float, default=20.0, help="frames submitted per second")
    ap.add_argument("--fsize", type=int, help="RLIMIT_FSIZE in bytes")
    ap.add_argument("--segment", type=float, help="video: cut into files of this many seconds")
    ap.add_argument("--marked", action="store_true", help="draw each frame's index into it (marks.py)")
    args = ap.parse_args()
    if args.fsize:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (args.fsize, args.fsize))
    errors: list[str] = []
    if args.kind == "video":
        segments = Segments(args.out, seconds=args.segment) if args.segment else None
        rec = VideoRecorder(args.out, queue_size=1000, on_error=errors.append, segments=segments)
    elif args.kind == "log":
        rec = DetectionLog(args.out, on_error=errors.append)
    else:
        rec = SnapshotWriter(args.out, every=0.1, on_error=errors.append)
    cap = cv2.VideoCapture(args.clip)
    fps = cap.get(cv2.CAP_PROP_FPS)
    submitted = 0
    for i in range(args.frames):
        ok, img = cap.read()
        if not ok:
            break
        frame = Frame(img, time.monotonic(), i, i / fps)
        result = Result(frame, Detections.empty(), Stats(capture_fps=fps, inference_fps=fps, input_size=300))
        if args.marked:
            (result,) = marked([result])
        rec.submit(result)
        submitted += 1
        written = getattr(rec, "frames_written", getattr(rec, "lines", len(getattr(rec, "saved", []))))
        print(
            "frame",
            submitted,
            written,
            f"{getattr(rec, 'elapsed', 0.0):.3f}",
            rec.error is not None,
            flush=True,
        )
        time.sleep(1.0 / args.pace)
    print("closing", flush=True)
    rec.close()
    summary = {
        "submitted": submitted,
        "error": rec.error,
        "callback": errors,
        "dropped": rec.dropped,
        "frames_written": getattr(rec, "frames_written", None),
        "pauses": getattr(rec, "pauses", 0),
        "frames_lost": getattr(rec, "frames_lost", 0),
        "files": [str(f) for f in getattr(rec, "files", [])],
    }
    print(json.dumps(summary), flush=True)
    sys.exit(0)


if __name__ == "__main__":
    main()
