"""`camapp run --headless --source SRC`: live detection without a window, with recording and logs.

Prints a stats line every few seconds and a summary at the end. Exits 0 at the end of the input
or after SIGINT/SIGTERM/SIGHUP (recordings are finalized first), 2 for a user mistake, 1 when the
source is lost for good (`--reconnect-timeout`), the pipeline fails, or a recording or log
lost frames to a write error: it stopped (unwritable folder, full disk without segments) or, with
segments, paused on a full disk and resumed later. Detection went on, but the footage is incomplete.
"""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

from camapp.cli.common import (
    add_model_options,
    add_schedule_option,
    class_list,
    model_spec,
    positive_float,
    positive_int,
)
from camapp.cli.motion_args import add_motion_args, motion_spec
from camapp.cli.mqtt_args import add_mqtt_options, check_mqtt, start_mqtt, stop_mqtt
from camapp.cli.notify_args import add_notify_args, check_notify_labels, start_notify, stop_notify
from camapp.cli.track_args import add_track_args, track_spec
from camapp.cli.web_args import add_web_options, check_port, check_web, start_web, web_measures
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
        help="camera index or /dev/videoN, video file, rtsp:// or http:// URL, GStreamer pipeline, picam[:N], "
        "sample:person or sample:bottle",
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
    add_motion_args(p)
    add_notify_args(p)
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
    g.add_argument(
        "--record-on",
        type=class_list,
        metavar="CLASSES",
        help="record a clip while these are seen; zone:NAME while anything is in that --zone",
    )
    g.add_argument("--record-dir", metavar="DIR", help="where --record-on clips go (default: recordings)")
    g.add_argument(
        "--history",
        action="store_true",
        help="keep every object as an event with a snapshot (events.db in --record-dir with --record-on,"
        " else beside --record FILE, else in the user data folder); read it with `camapp events`",
    )
    g.add_argument(
        "--history-days",
        type=positive_float,
        metavar="DAYS",
        help="with --history: delete events (and their snapshots) that ended more than DAYS ago",
    )
    g.add_argument(
        "--history-keep-mb",
        type=positive_float,
        metavar="MB",
        help="with --history: keep the history folder's event clips and snapshots under MB (the oldest"
        " clips go first, their events stay; then the oldest events)",
    )
    g.add_argument("--log", metavar="FILE", help="write detections as JSON Lines")
    g.add_argument("--snapshot-dir", metavar="DIR", help="save annotated snapshots here")
    g.add_argument("--snapshot-every", type=positive_float, metavar="S", help="seconds (default 10)")
    g.add_argument(
        "--overwrite",
        action="store_true",
        help="replace an existing --record or --log FILE (never an input of the run; see docs/reliability.md)",
    )
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
    add_web_options(p)
    add_mqtt_options(p)


def outputs(args: argparse.Namespace) -> list[Any]:
    """What the output flags ask for, as session specs (built and opened by the session)."""
    from camapp.session import EventSpec, HistorySpec, LogSpec, SnapshotSpec

    specs: list[Any] = []
    if args.record:
        specs.append(video(args))
    if args.record_on:
        specs.append(EventSpec(args.record_dir or "recordings", tuple(args.record_on)))
    elif args.record_dir:
        raise CamappError("--record-dir goes with --record-on CLASSES")
    if args.history:
        where = args.record_dir or "recordings" if args.record_on else None
        if where is None and args.record:  # beside the recording, whose files its events play
            where = str(Path(args.record).expanduser().parent)
        specs.append(HistorySpec(where, keep_days=args.history_days, keep_mb=args.history_keep_mb))
    elif args.history_days or args.history_keep_mb:
        raise CamappError("--history-days and --history-keep-mb go with --history")
    if args.log:
        folder(args.log, "--log")  # as --record-dir and --snapshot-dir do: a missing folder is made
        specs.append(LogSpec(args.log, overwrite=args.overwrite))
    if args.snapshot_dir:
        specs.append(SnapshotSpec(args.snapshot_dir, every=args.snapshot_every or 10.0))
    elif args.snapshot_every:
        raise CamappError("--snapshot-every goes with --snapshot-dir DIR")
    return specs


def folder(path: str, flag: str) -> None:
    """Create the folder `path` goes into; one line (exit 2) when it cannot be."""
    parent = Path(path).expanduser().resolve().parent  # `new/../x` names no folder to make
    try:
        parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise CamappError(
            f"{flag} {path}: cannot create the folder {parent}: {exc.strerror or exc}"
        ) from None


def video(args: argparse.Namespace) -> Any:
    """The `VideoSpec` the --record* options ask for; a bad combination fails here."""
    from camapp.session import VideoSpec

    if not args.record and (args.record_segment or args.record_segment_mb or args.record_keep_mb):
        raise CamappError("--record-segment, --record-segment-mb and --record-keep-mb go with --record FILE")
    spec = VideoSpec(
        args.record or "x.mp4",
        args.record_segment,
        args.record_segment_mb,
        args.record_keep_mb,
        overwrite=bool(getattr(args, "overwrite", False)),
    )
    spec.segments()  # option mistakes are reported before the camera opens and the model loads
    return spec


def run(args: argparse.Namespace) -> int:
    from camapp.session import Session, SourceSpec

    if not args.headless:
        raise CamappError("camapp run needs --headless (the desktop app is `camapp --source SRC`)")
    if args.target_fps and args.input_size != "auto":
        raise CamappError("--target-fps goes with --input-size auto")
    check_web(args)
    check_mqtt(args)
    video(args)
    if args.web:  # before the camera opens and a recording starts: a busy port leaves no file behind
        check_port(*args.web)
    tracking = track_spec(args)  # option mistakes before the camera opens and the model loads
    motion = motion_spec(args)
    logging.basicConfig(level=logging.WARNING, format="%(message)s")
    source = SourceSpec(
        args.source,
        width=args.width,
        height=args.height,
        fps=args.fps,
        realtime=args.realtime,
        loop=args.loop,
    )
    fixed = args.input_size if isinstance(args.input_size, int) else None
    # build the other rungs only if auto will use them
    model = model_spec(args, fixed, background=args.input_size == "auto", measure=web_measures(args, fixed))
    session = Session()
    seen: Counter[str] = Counter()
    steps: dict[str, int] = {}  # a device's slow step (the AI Camera's firmware upload): last tenth said
    session.subscribe(lambda name, e: on_event(name, e, seen, steps))  # before the first frame
    mqtt = notifier = None
    ran = False
    try:
        mqtt = start_mqtt(args, session)  # None without --mqtt or --web; hears the run from its first frame
        notifier = start_notify(args, session)  # before the first frame too
        session.set_threshold(args.threshold)
        if args.input_size == "auto":
            session.set_input_size("auto", target_fps=args.target_fps)
        if tracking is not None:
            session.set_tracking(tracking).result()  # remembered: the open builds the stage
        if motion is not None:
            session.set_motion(motion).result()  # remembered: the open builds the gate
        # the source opens before the model loads: a wrong camera is reported at once
        session.open(
            source,
            model,
            outputs(args),
            classes=args.classes,
            max_frames=args.max_frames,
            reconnect_timeout=args.reconnect_timeout,
        ).result()
        check_notify_labels(notifier, session.info.names if session.info else ())
        status = session.status()
        say(f"source: {status['source']['text']}")
        say(model_line(status))
        web = start_web(args, session, mqtt=mqtt, notify=notifier)  # None without --web; its page changes both
        try:
            ran = True
            return drive(session, args, seen)
        finally:
            if web is not None:
                web.stop()
    finally:
        stop_mqtt(mqtt, say)  # the last counts and `offline` go out while the broker is there
        stop_notify(notifier, say if ran else None)  # after the run: what waits is sent, a summary line
        session.close(timeout=30.0)


def model_line(status: dict[str, Any]) -> str:
    """What runs at which size; on a fixed-input device (the sizes are inference regions), the
    network's input and the region: "input 300 (fixed), region 2x of 1x 1.5x 2x 3x 4x"."""
    m, size = status["model"], status["input_size"]
    sizes, zooms = [r["size"] for r in status["ladder"]], m.get("zooms") or []
    head = f"model: {m['running_on']}{m['plan']}"
    if len(zooms) != len(sizes) or 1 not in zooms:
        return f"{head}, input {size}, ladder {sizes}"
    zoom = dict(zip(sizes, zooms)).get(size, 1)
    every = " ".join(f"{z:g}x" for z in zooms)
    return f"{head}, input {sizes[zooms.index(1)]} (fixed), region {zoom:g}x of {every}"


def on_event(
    name: str, event: dict[str, Any], seen: Counter[str], steps: dict[str, int] | None = None
) -> None:
    if name == "result":
        seen.update(set(event["result"].detections.labels))
    elif name == "opening" and "percent" in event and steps is not None:
        tenth = event["percent"] // 10  # a line per tenth: an upload of minutes prints about ten
        if steps.get(event["what"]) != tenth:
            steps[event["what"]] = tenth
            say(event["text"])
    elif name == "state" and event["state"] == "reconnecting":
        warn(f"reconnecting: {event['text']}")
    # a lost source or failed inference is said once, after the summary ("camapp: ...")


def drive(session: Any, args: argparse.Namespace, seen: Counter[str]) -> int:
    """Run until the input ends, a limit is hit or a signal arrives; then stop and summarize."""
    from camapp.session import stats_line, track_lines

    stop = threading.Event()
    why = {"reason": "end of input"}

    def on_signal(signum: int, _frame: Any) -> None:
        why["reason"] = signal.Signals(signum).name
        stop.set()

    # SIGHUP: the terminal or SSH session closed; it finalizes like the other two
    stops = [signal.SIGINT, signal.SIGTERM] + ([signal.SIGHUP] if hasattr(signal, "SIGHUP") else [])
    previous = {s: signal.signal(s, on_signal) for s in stops}
    started = time.monotonic()
    next_line = started + args.stats_every
    try:
        while not session.wait(0.1):
            now = time.monotonic()
            if stop.is_set():
                break
            if args.duration and now - started >= args.duration:
                why["reason"] = f"--duration {args.duration:g} s"
                break
            if now >= next_line:
                say(stats_line(session.status()))
                next_line = now + args.stats_every
        else:
            if args.max_frames and session.status()["stats"]["frames"] >= args.max_frames:
                why["reason"] = f"--max-frames {args.max_frames}"
    finally:
        session.stop().result()  # recordings are finalized here
        for s, handler in previous.items():
            signal.signal(s, handler)
    elapsed = time.monotonic() - started
    status = session.status()
    stats = status["stats"]
    if stats["state"] == "error" and why["reason"] == "end of input":
        lost = " lost: " in (stats["message"] or "")  # reconnect gave up (--reconnect-timeout)
        why["reason"] = "source lost" if lost else "an error"
    summarize(status, elapsed, why["reason"], seen)
    for line in track_lines(status):
        say(line)
    if status.get("motion"):
        m = status["motion"]
        say(
            f"motion: {m['starts']} starts | detected {m['detected']} frames, skipped {m['skipped']}"
            f" | background learnt afresh {m['recalibrations']} times"
        )
    if stats["state"] == "error":
        warn(f"camapp: {stats['message']}")
    return outcome(status)


def outcome(status: dict[str, Any]) -> int:
    """The exit code of a run that started: 1 when the pipeline failed or an output lost frames
    (stopped, paused on a full disk, or kept too few to be the recording asked for), else 0."""
    if status["stats"]["state"] == "error":
        return 1
    return 1 if any(o["error"] or o["pauses"] or kept_too_few(o) for o in status["outputs"]) else 0


KEEP = 0.9  # a recording that keeps fewer of the frames handed to it is a failed recording


def kept_too_few(output: dict[str, Any]) -> str | None:
    """ "kept 485 of 1742 frames (28%)" when a video recording dropped more than a tenth of its
    frames because it could not keep up (the machine is too slow to encode the source at its
    rate); None otherwise. Frames lost while paused on a full disk are reported as pauses."""
    if output["slot"] != "video":
        return None
    kept, handed = output["frames"], output["frames"] + output["dropped"] - output["frames_lost"]
    if handed == 0 or kept >= KEEP * handed:
        return None
    return f"kept {kept} of {handed} frames ({100 * kept / handed:.0f}%)"


def summarize(status: dict[str, Any], elapsed: float, reason: str, seen: Counter[str]) -> None:
    st = status["stats"]
    rate = st["frames"] / elapsed if elapsed > 0 else 0.0
    say(
        f"summary: {st['frames']} frame{'' if st['frames'] == 1 else 's'} in {elapsed:.1f} s ({rate:.1f} fps) | dropped {st['dropped']}"
        f" | infer {st['infer_ms']:.1f} ms median (p95 {st['infer_ms_p95']:.1f}) | input {st['input_size']}"
        f" | stopped by {reason}"
    )
    if seen:
        say("frames with: " + ", ".join(f"{label} {n}" for label, n in seen.most_common()))
    else:
        say("frames with: nothing detected")
    for o in status["outputs"]:
        state = o["error"].removeprefix(f"{o['what']} ") if o["error"] else "ok"
        pauses, lost = o["pauses"], o["frames_lost"]
        if pauses:  # a segmented recording that ran out of room (frames_lost is part of dropped)
            times = "1 time" if pauses == 1 else f"{pauses} times"
            state += f", paused {times} ({lost} frames not recorded)"
            if o["paused"]:
                state += ", still paused at the end"
        dropped = o["dropped"] - lost
        few = kept_too_few(o)
        if few:  # on stderr too: a script reading only stderr and the exit code sees why
            state = f"{few}, too slow to keep up" if state == "ok" else f"{state}; {few}"
            warn(f"camapp: {o['what']} {few}: this machine could not encode every frame in time")
        say(f"{o['what']}: {state}" + (f" ({dropped} results dropped)" if dropped and not few else ""))


def say(text: str) -> None:
    print(text, flush=True)


def warn(text: str) -> None:
    """Losses and errors go to stderr, so a script reading stdout still sees them apart."""
    print(text, file=sys.stderr, flush=True)
