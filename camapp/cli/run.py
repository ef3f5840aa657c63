"""`camapp run --headless --source SRC`: live detection without a window, with recording and logs.

Prints a stats line every few seconds and a summary at the end. Exits 0 at the end of the input
or after SIGINT/SIGTERM (recordings are finalized first), 2 for a user mistake, 1 when the
source is lost for good (`--reconnect-timeout`), the pipeline fails, or a recording or log
lost frames to a write error: it stopped (unwritable folder, full disk without segments) or, with
segments, paused on a full disk and resumed later. Detection went on, but the footage is incomplete.
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import threading
import time
from collections import Counter
from typing import Any

from camapp.cli.common import (
    add_model_options,
    add_schedule_option,
    class_ids,
    csv,
    lanes_for,
    open_model,
    positive_float,
    positive_int,
)
from camapp.cli.track_args import TrackSetup, add_track_args, record_on_classes
from camapp.errors import CamappError


def input_size(text: str) -> int | str:
    if text == "auto":
        return text
    try:
        return positive_int(text)
    except argparse.ArgumentTypeError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a size in pixels or 'auto'") from None


def add_source_options(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("source")
    g.add_argument(
        "--source",
        required=True,
        metavar="SRC",
        help="camera index or /dev/videoN, video file, rtsp:// or http:// URL, GStreamer pipeline, picam[:N]",
    )
    g.add_argument("--width", type=positive_int, help="ask the camera for this width")
    g.add_argument("--height", type=positive_int, help="ask the camera for this height")
    g.add_argument("--fps", type=positive_float, help="ask the camera for this frame rate")
    g.add_argument(
        "--realtime",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="play files at their own rate, dropping stale frames (default); "
        "--no-realtime: as fast as possible, every frame",
    )
    g.add_argument("--loop", action="store_true", help="restart a video file at its end")


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("run", help="live detection without a window (recording, logs, snapshots)")
    p.add_argument("--headless", action="store_true", help="no window (required; the app is `camapp`)")
    add_source_options(p)
    g = p.add_argument_group("speed")
    g.add_argument(
        "--input-size",
        type=input_size,
        metavar="N|auto",
        help="network input size, or auto to hold --target-fps",
    )
    g.add_argument(
        "--target-fps", type=positive_float, help="with --input-size auto (default: the source's rate)"
    )
    add_schedule_option(g)
    add_model_options(p)
    add_track_args(p)
    g = p.add_argument_group("output")
    g.add_argument("--record", metavar="FILE", help="record annotated video (.mp4 or .mkv)")
    g.add_argument(
        "--record-segment",
        type=positive_float,
        metavar="S",
        help="with --record FILE.mp4: a new file every S seconds of video, FILE-YYYYmmdd-HHMMSS.mp4",
    )
    g.add_argument(
        "--record-segment-mb",
        type=positive_float,
        metavar="MB",
        help="with --record: a new file once one holds MB of video (alone or with --record-segment)",
    )
    g.add_argument(
        "--record-keep-mb",
        type=positive_float,
        metavar="MB",
        help="with segments: delete the oldest FILE-*.mp4 while they total more than MB",
    )
    g.add_argument("--record-on", type=csv, metavar="CLASSES", help="record a clip while these are seen")
    g.add_argument("--record-dir", metavar="DIR", help="where --record-on clips go (default: recordings)")
    g.add_argument("--log", metavar="FILE", help="write detections as JSON Lines")
    g.add_argument("--snapshot-dir", metavar="DIR", help="save annotated snapshots here")
    g.add_argument("--snapshot-every", type=positive_float, metavar="S", help="seconds (default 10)")
    g = p.add_argument_group("run")
    g.add_argument("--max-frames", type=positive_int, metavar="N", help="stop after N processed frames")
    g.add_argument("--duration", type=positive_float, metavar="S", help="stop after S seconds")
    g.add_argument("--stats-every", type=positive_float, default=5.0, metavar="S", help="seconds (default 5)")
    g.add_argument(
        "--reconnect-timeout",
        type=positive_float,
        metavar="S",
        help="give up on a lost source (default: never)",
    )


def build_consumers(args: argparse.Namespace, names: tuple[str, ...]) -> list[Any]:
    """The recorders the flags ask for; a bad path or class fails here, before the run starts."""
    from camapp.record import DetectionLog, EventRecorder, SnapshotWriter, VideoRecorder

    outputs = [p for p in (args.record, args.log) if p]
    if len({os.path.realpath(p) for p in outputs}) < len(outputs):
        raise CamappError("--record and --log must name different files")
    consumers: list[Any] = []
    # --no-realtime promises every frame: recorders then queue without bound instead of dropping
    lossless: dict[str, Any] = {} if args.realtime else {"queue_size": 0}
    # A recorder that cannot even open its file logs that line itself; here it is raised instead,
    # so the user sees it once, as the run's one error line.
    rec_log = logging.getLogger("camapp.record")
    rec_log.addFilter(_reject_all)
    try:
        if args.record:
            consumers.append(VideoRecorder(args.record, segments=segments(args), **lossless))
        if args.record_on:
            class_ids(names, record_on_classes(args.record_on))  # unknown labels are a user error
            consumers.append(EventRecorder(args.record_dir or "recordings", args.record_on, **lossless))
        elif args.record_dir:
            raise CamappError("--record-dir goes with --record-on CLASSES")
        if args.log:
            consumers.append(DetectionLog(args.log, **lossless))
        if args.snapshot_dir:
            consumers.append(SnapshotWriter(args.snapshot_dir, every=args.snapshot_every or 10.0))
        elif args.snapshot_every:
            raise CamappError("--snapshot-every goes with --snapshot-dir DIR")
        for c in consumers:
            if c.error:
                raise CamappError(c.error)
    except BaseException:
        for c in consumers:
            c.close()
        raise
    finally:
        rec_log.removeFilter(_reject_all)
    return consumers


def segments(args: argparse.Namespace) -> Any:
    """The `Segments` policy the --record-segment* options ask for, or None for one file."""
    from camapp.record import Segments

    if not args.record and (args.record_segment or args.record_segment_mb or args.record_keep_mb):
        raise CamappError("--record-segment, --record-segment-mb and --record-keep-mb go with --record FILE")
    if not (args.record_segment or args.record_segment_mb):
        if args.record_keep_mb:
            raise CamappError("--record-keep-mb goes with --record-segment S or --record-segment-mb MB")
        return None
    return Segments(args.record, args.record_segment, args.record_segment_mb, args.record_keep_mb)


def _reject_all(_record: logging.LogRecord) -> bool:
    return False


def run(args: argparse.Namespace) -> int:
    from camapp.sources import open_source

    if not args.headless:
        raise CamappError("camapp run needs --headless (the desktop app is `camapp --source SRC`)")
    if args.target_fps and args.input_size != "auto":
        raise CamappError("--target-fps goes with --input-size auto")
    segments(args)  # option mistakes are reported before the camera opens and the model loads
    track = TrackSetup.from_args(args)
    logging.basicConfig(level=logging.WARNING, format="%(message)s")
    source = open_source(
        args.source,
        width=args.width,
        height=args.height,
        fps=args.fps,
        realtime=args.realtime,
        loop=args.loop,
    )  # fails before the model loads: a wrong camera is reported at once
    consumers: list[Any] = []
    try:
        fixed = args.input_size if isinstance(args.input_size, int) else None
        # build the other rungs only if auto will use them
        lanes = lanes_for(args, source.realtime)  # a camera or stream is real-time whatever the flag
        detector = open_model(args, fixed, lanes, background=args.input_size == "auto")
        consumers = build_consumers(args, detector.names)
    except BaseException:
        source.close()
        for c in consumers:
            c.close()
        raise
    say(f"source: {describe_source(source)}")
    threads = getattr(detector, "threads", None)
    plan = f", {lanes} lanes of 1 thread" if lanes > 1 else (f", {threads} threads" if threads else "")
    say(f"model: {detector.device}{plan}, input {detector.input_size}, ladder {list(detector.input_sizes)}")
    pipeline = track.pipeline(
        source, detector, consumers, max_frames=args.max_frames, reconnect_timeout=args.reconnect_timeout
    )
    if args.input_size == "auto":
        pipeline.set_input_size("auto", target_fps=args.target_fps)
    seen: Counter[str] = Counter()
    pipeline.on_result(lambda r: seen.update(set(r.detections.labels)))
    pipeline.on_state(lambda s: s.state in ("reconnecting", "error") and say(f"{s.state}: {s.message}"))
    try:
        code = drive(pipeline, args, seen, consumers)
        for line in track.summary():
            say(line)
        return code
    finally:
        detector.close()


def drive(pipeline: Any, args: argparse.Namespace, seen: Counter[str], consumers: list[Any]) -> int:
    """Run until the input ends, a limit is hit or a signal arrives; then stop and summarize."""
    stop = threading.Event()
    why = {"reason": "end of input"}

    def on_signal(signum: int, _frame: Any) -> None:
        why["reason"] = signal.Signals(signum).name
        stop.set()

    previous = {s: signal.signal(s, on_signal) for s in (signal.SIGINT, signal.SIGTERM)}
    started = time.monotonic()
    next_line = started + args.stats_every
    pipeline.start()
    try:
        while not pipeline.wait(0.1):
            now = time.monotonic()
            if stop.is_set():
                break
            if args.duration and now - started >= args.duration:
                why["reason"] = f"--duration {args.duration:g} s"
                break
            if now >= next_line:
                say(pipeline.stats.line())
                next_line = now + args.stats_every
        else:
            if args.max_frames and pipeline.stats.frames >= args.max_frames:
                why["reason"] = f"--max-frames {args.max_frames}"
    finally:
        pipeline.stop()  # closes consumers: recordings are finalized here
        for s, handler in previous.items():
            signal.signal(s, handler)
    elapsed = time.monotonic() - started
    stats = pipeline.stats
    summarize(stats, elapsed, why["reason"], seen, consumers)
    if stats.state == "error":
        say(f"camapp: {stats.message}")
        return 1
    return 1 if any(c.error or getattr(c, "pauses", 0) for c in consumers) else 0


def summarize(stats: Any, elapsed: float, reason: str, seen: Counter[str], consumers: list[Any]) -> None:
    rate = stats.frames / elapsed if elapsed > 0 else 0.0
    say(
        f"summary: {stats.frames} frames in {elapsed:.1f} s ({rate:.1f} fps) | dropped {stats.dropped}"
        f" | infer {stats.infer_ms:.1f} ms median (p95 {stats.infer_ms_p95:.1f}) | input {stats.input_size}"
        f" | stopped by {reason}"
    )
    if seen:
        say("frames with: " + ", ".join(f"{label} {n}" for label, n in seen.most_common()))
    else:
        say("frames with: nothing detected")
    for c in consumers:
        state = c.error.removeprefix(f"{c.what} ") if c.error else "ok"
        pauses, lost = getattr(c, "pauses", 0), getattr(c, "frames_lost", 0)
        if pauses:  # a segmented recording that ran out of room (frames_lost is part of dropped)
            times = "1 time" if pauses == 1 else f"{pauses} times"
            state += f", paused {times} ({lost} frames not recorded)"
            if getattr(c, "paused", False):
                state += ", still paused at the end"
        dropped = c.dropped - lost
        say(f"{c.what}: {state}" + (f" ({dropped} results dropped)" if dropped else ""))


def describe_source(source: Any) -> str:
    size = f"{source.size[0]}x{source.size[1]}" if source.size else "size unknown"
    fps = f"{source.fps:g} fps" if source.fps else "fps unknown"
    return f"{source.name} ({size}, {fps})"


def say(text: str) -> None:
    print(text, flush=True)
