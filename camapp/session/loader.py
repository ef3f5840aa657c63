"""Loading the detector a `ModelSpec` asks for, the way every front-end does it.

One place decides lanes vs one interpreter, fixed rung vs ladder, and the class filter, so the
command line, the desktop app and the browser view cannot drift apart.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

from camapp.errors import CamappError
from camapp.session.specs import DetectorInfo, ModelSpec, class_ids


def cores() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def lanes_for(schedule: str, device: str, threads: int | None, realtime: bool) -> int:
    """Frame-parallel lanes for `--schedule` (1: one interpreter with every thread).

    Lanes win on throughput but each frame takes a 1-thread invoke, so `auto` uses them only
    where nothing waits on a single frame: a file read as fast as possible.
    """
    from camapp.detect import device_kind

    cpu = device_kind(device).cpu_threads
    if schedule == "throughput" and not cpu:
        raise CamappError(f"--schedule throughput runs on the CPU; with --device {device} use latency")
    if schedule == "latency" or not cpu or (schedule == "auto" and realtime):
        return 1
    n = cores()
    return max(1, min(int(threads or n), n))  # a lane more than the cores only costs memory


def load_detector(
    spec: ModelSpec,
    *,
    threshold: float = 0.5,
    classes: list[str] | None = None,
    lanes: int = 1,
    warn: Callable[[str], None] | None = None,
    **extra: Any,
) -> Any:
    """The detector `spec` asks for: one fixed input size, or the whole ladder; with `lanes` > 1,
    that many single-thread detectors (`camapp.detect.lanes.Lanes`). `warn` hears an
    accelerator's fallback warnings (default: printed to stderr)."""
    from camapp.detect import open_detector

    if warn is not None:
        extra["warn"] = warn
    if spec.background:
        extra["background"] = True
    size = spec.input_size
    detector = open_detector(
        spec.model,
        labels=spec.labels,
        device=spec.device,
        fallback=spec.fallback,
        threads=1 if lanes > 1 else spec.threads,
        threshold=threshold,
        max_detections=spec.max_detections,
        input_size=size,
        input_sizes=[size] if size else None,
        **extra,
    )
    try:
        detector.classes = frozenset(class_ids(detector.names, classes)) if classes else None
    except BaseException:
        detector.close()
        raise
    if lanes > 1:
        from camapp.detect.lanes import Lanes

        return Lanes(detector, lanes)
    return detector


def plan_text(detector: Any) -> str:
    """ ", 2 lanes of 1 thread" or ", 4 threads" (as `camapp run` prints the model line)."""
    lanes = len(getattr(detector, "lanes", None) or ())
    threads = getattr(detector, "threads", None)
    return f", {lanes} lanes of 1 thread" if lanes > 1 else (f", {threads} threads" if threads else "")


def detector_info(detector: Any) -> DetectorInfo:
    regions = getattr(detector, "regions", None)
    return DetectorInfo(
        names=tuple(detector.names),
        sizes=tuple(detector.input_sizes),
        input_size=int(detector.input_size),
        fixed_reason=str(getattr(detector, "fixed_input_reason", "") or ""),
        device=str(getattr(detector, "requested_device", None) or detector.device),  # the user's choice
        running_on=str(detector.device),
        plan=plan_text(detector),
        warnings=tuple(str(w) for w in getattr(detector, "warnings", ())),
        zooms=tuple(regions.zooms) if regions else (),
    )


def describe_source(source: Any) -> str:
    size = f"{source.size[0]}x{source.size[1]}" if source.size else "size unknown"
    fps = f"{source.fps:g} fps" if source.fps else "fps unknown"
    return f"{source.name} ({size}, {fps})"
