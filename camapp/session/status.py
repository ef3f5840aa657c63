"""The session's status as one JSON-able dict: what every front-end shows, read in one call.

`camapp run --stats-every` prints its lines from it, the desktop app's status bar could, and a
browser view can send it as it is (`json.dumps(session.status())`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from camapp.session.motion import motion_status
from camapp.session.tracking import track_status

if TYPE_CHECKING:
    from camapp.pipeline import Stats
    from camapp.record import Recorder
    from camapp.session.core import Session

STATS_FIELDS = (
    "capture_fps",
    "inference_fps",
    "infer_ms",
    "infer_ms_p95",
    "latency_ms",
    "dropped",
    "frames",
    "predicted",
    "input_size",
    "state",
    "message",
    "motion",
    "detecting",
)


def output_status(slot: str, rec: Recorder, active: bool) -> dict[str, Any]:
    """One `outputs` entry: what the recorder's `report()` says, with its state."""
    report = rec.report().to_dict()
    return {
        "slot": slot,
        "what": rec.what,
        "path": report.pop("path"),
        "active": active,
        "error": rec.error,
        "frames": report.pop("frames"),
        "dropped": int(rec.dropped),
        **report,
    }


def stats_dict(stats: Stats) -> dict[str, Any]:
    return {name: getattr(stats, name) for name in STATS_FIELDS}


def stats_line(status: dict[str, Any]) -> str:
    """The line `camapp run` prints every few seconds, from a status snapshot."""
    from camapp.pipeline import Stats

    return Stats(**status["stats"]).line()


def build_status(s: Session) -> dict[str, Any]:
    with s._lock:
        pipeline, det, info, src = s.pipeline, s.detector, s.info, s.source
        outputs, reports = dict(s.outputs), dict(s.reports)
        state, text, kind = s.state, s.state_text, s.failure_kind
        warnings = list(s.warnings)
    stats = pipeline.stats if pipeline is not None else s._last_stats
    if pipeline is not None:
        s._last_stats = stats  # kept for the summary after stop()
    input_size = int(det.input_size) if det is not None else None
    names = info.names if info is not None else ()
    rungs = s.live.merged(s.rung_ms)  # start-up figures, the rungs that ran by their live median
    video = outputs["video"].report() if "video" in outputs else None
    return {
        "state": state,
        "state_text": text,
        "failure_kind": kind,
        "source": None
        if src is None
        else {"spec": src.spec, "text": s.source_text, "realtime": src.realtime, "loop": src.loop},
        "model": None
        if info is None or s.model is None
        else {
            "model": s.model.model,
            "device": info.device,
            "running_on": info.running_on,
            "plan": info.plan,
            "fixed_reason": info.fixed_reason,
            "zooms": list(info.zooms),  # the sizes pick the inference region (zoom per size)
        },
        "input_size": input_size,
        "ladder": [
            {"size": int(z), "ms": rungs.get(z), "live": z in s.live.ms} for z in (info.sizes if info else ())
        ],
        "auto": bool(pipeline.auto) if pipeline is not None else s.input_size == "auto",
        "target_fps": s.target_fps,
        "threshold": s.threshold,
        "classes": None if s.classes is None else sorted({names[i] for i in s.classes if i < len(names)}),
        "threads": s.threads,
        "paused": s.paused,
        "detect": s.detect,  # False: detection switched off (`set_detect`)
        "recording": {
            "active": video is not None,
            "path": video.path if video is not None else None,
            "frames": video.frames if video is not None else 0,
        },
        "outputs": [output_status(k, r, k in outputs) for k, r in reports.items()],
        "armed": sorted(s.armed),
        "stats": stats_dict(stats) if stats is not None else None,
        "warnings": warnings,
        "tracking": track_status(s.tracking, s.stage),
        "motion": motion_status(s.motion, stats, s.motion_gate, s.moving, s.motion_starts),
    }
