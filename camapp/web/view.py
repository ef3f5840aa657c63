"""`camapp.session.Session` seen through the `WebSession` protocol: the one module that knows
the session's own names (its events, its status keys, its specs; the Tracking box's spec is
built by `camapp.web.tracking`).

The page gets a flat status (figures at the top level, the recording with its elapsed time,
event clips with their classes). Commands wait for the session's future, so a refused value
reaches the page as the session's one-line error.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from camapp.errors import CamappError
from camapp.mqtt.control import MqttControl
from camapp.notify.control import NotifyControl
from camapp.record.eventstore import DB_NAME
from camapp.session import EventSpec, MotionSpec, Session, TrackSpec, VideoSpec
from camapp.session.forms import DrawnChange, MaskChange, for_session, recording_path
from camapp.session.livems import in_order
from camapp.web.motion import apply_motion, page_masks
from camapp.web.sinks import parse_mqtt, parse_notify, parse_test, sinks_status
from camapp.web.tracking import apply_change, page_status

WAIT = 30.0  # seconds a command may take (stopping a recording writes its trailer)
FIGURES = ("capture_fps", "inference_fps", "infer_ms", "infer_ms_p95", "latency_ms", "dropped", "frames")


class SessionView:
    """The browser view's handle on a running `Session`; recordings go to `record_dir`. `mqtt`
    and `notify` are the run's controls (`camapp run` makes them); without them the view makes
    its own, and stops what they run when it closes."""

    def __init__(
        self,
        session: Session,
        record_dir: str | Path,
        *,
        mqtt: MqttControl | None = None,
        notify: NotifyControl | None = None,
    ) -> None:
        self.session = session
        self.record_dir = Path(record_dir)
        self.mqtt = mqtt or MqttControl(session)
        self.notify = notify or NotifyControl(session)
        self._owned = ([self.mqtt] if mqtt is None else []) + ([self.notify] if notify is None else [])
        self._lock = threading.Lock()
        self._seen_ms: dict[int, float] = {}  # infer ms per rung, from live frames
        self._event_classes: list[str] = []
        self._objects: dict[int, dict[str, Any]] = {}  # object id -> its latest start/update event
        self._recording = ""  # the path of the recording the page started, if one runs
        self.last_snapshot = ""
        self._unsubscribe = session.subscribe(self._event)
        self._result_cbs: list[Callable[[Any], None]] = []
        self._change_cbs: list[Callable[[], None]] = []
        self._track_lock = threading.Lock()  # one tracking change at a time: each builds on the last
        self._track_form: TrackSpec | None = None  # the Tracking box's state, kept while tracking is off
        self._motion_form: MotionSpec | None = None  # the motion settings the page last ran

    # -- events -----------------------------------------------------------------------------------
    def _event(self, name: str, payload: dict[str, Any]) -> None:
        if name == "result":
            result = payload["result"]
            st = result.stats
            if st.infer_ms > 0 and st.input_size:
                self._seen_ms[st.input_size] = st.infer_ms
            for cb in list(self._result_cbs):
                cb(result)
            return
        if name == "snapshot":
            self.last_snapshot = str(payload.get("path", ""))
        elif name == "object":  # objects in view now, for the page's figures
            with self._lock:
                if payload["type"] == "end":
                    self._objects.pop(payload["id"], None)
                else:
                    self._objects[payload["id"]] = payload
        for change in list(self._change_cbs):
            change()

    def on_result(self, callback: Callable[[Any], None]) -> Callable[[], None]:
        return _add(self._result_cbs, callback, self._lock)

    def on_change(self, callback: Callable[[], None]) -> Callable[[], None]:
        return _add(self._change_cbs, callback, self._lock)

    def close(self) -> None:
        self._unsubscribe()
        for control in self._owned:
            control.close()

    # -- status -----------------------------------------------------------------------------------
    def labels(self) -> list[str]:
        info = getattr(self.session, "info", None)
        return sorted({n for n in (info.names if info else ()) if n and n != "???"})

    def status(self) -> dict[str, Any]:
        s = self.session.status()
        stats = s.get("stats") or {}
        outputs = {o["slot"]: o for o in s.get("outputs", []) if o.get("active")}
        video, events = outputs.get("video"), outputs.get("events")
        model = s.get("model") or {}
        ms = {
            r["size"]: r["ms"] if r["ms"] is not None else self._seen_ms.get(r["size"])
            for r in s.get("ladder", [])
        }
        shown = in_order({size: v for size, v in ms.items() if v is not None})  # never backwards
        zooms = model.get("zooms") or []  # a fixed-input device: each size is an inference region
        zoom = dict(zip(ms, zooms)) if len(zooms) == len(ms) else {}
        ladder = [{"size": size, "ms": shown.get(size), "zoom": zoom.get(size)} for size in ms]
        flat = {
            "source": (s.get("source") or {}).get("text", ""),
            "device": model.get("running_on") or model.get("device") or "",
            "state": "paused" if s.get("paused") and s.get("state") == "running" else s.get("state"),
            "message": s.get("state_text") or stats.get("message", ""),
            "warning": "; ".join(s.get("warnings", [])),
            "paused": bool(s.get("paused")),
            "detect": s.get("detect", True),  # False: detection switched off
            "input_size": stats.get("input_size") or s.get("input_size"),
            "ladder": ladder,
            "auto": bool(s.get("auto")),
            "target_fps": s.get("target_fps"),
            "threshold": s.get("threshold"),
            "classes": s.get("classes"),
            "labels": self.labels(),
            "recording": {
                "on": video is not None,
                # the page stops only what it started: `camapp run --record` keeps recording
                "mine": video is not None and video["path"] == self._recording,
                "path": video["path"] if video else None,
                "elapsed": video["elapsed"] if video else 0.0,
                "frames": video["frames"] if video else 0,
            },
            "events": {
                "on": events is not None,
                "mine": events is not None and bool(self._event_classes),
                "classes": list(self._event_classes) if events is not None else [],
                "clips": len(events.get("clips", [])) if events else 0,
            },
            "snapshot": self.last_snapshot,
            "tracking": page_status(s.get("tracking")),
            # the Events panel reloads when this changes (an event stored, or one ending)
            "history": {"on": "history" in outputs, "saved": (outputs.get("history") or {}).get("frames", 0)},
            "objects": self.objects(),
            "motion": s.get("motion"),  # None, or on/off, frames detected and skipped
            "motion_masks": page_masks(self.motion_form()),  # shown, and applied once motion is on
            **sinks_status(self.mqtt, self.notify),  # "mqtt", "notify", "command": secrets left out
        }
        flat.update({k: stats.get(k, 0) for k in FIGURES})
        return flat

    def events_db(self) -> Path | None:
        """The event history the Events panel reads: the running one (`--history`), else one a
        past run left in the record folder, else None."""
        report = self.session.report("history", last=True)
        if report is not None:
            return Path(report.path)
        past = self.record_dir / DB_NAME
        return past if past.is_file() else None

    def media_folders(self) -> tuple[Path, ...]:
        """Where else an event's video may be served from: the continuous recording's folder."""
        spec = self.session.specs.get("video")
        return (Path(spec.path).expanduser().parent,) if spec is not None else ()

    def objects(self) -> list[dict[str, Any]]:
        """The objects in view (started, not ended), oldest first: id, label, score, zones."""
        with self._lock:
            now = sorted(self._objects.values(), key=lambda o: o["id"])
        return [{k: o[k] for k in ("id", "label", "track_id", "top_score", "zones")} for o in now]

    # -- commands ---------------------------------------------------------------------------------
    def set_input_size(self, size: int | str, target_fps: float | None = None) -> None:
        self.session.set_input_size(size, target_fps=target_fps).result(WAIT)

    def set_threshold(self, threshold: float) -> None:
        self.session.set_threshold(threshold).result(WAIT)

    def set_classes(self, labels: list[str] | None) -> None:
        self.session.set_classes(labels or None).result(WAIT)

    def set_paused(self, paused: bool) -> None:
        (self.session.pause if paused else self.session.resume)().result(WAIT)

    def set_recording(self, on: bool) -> None:
        recording = self.status()["recording"]
        if on and not recording["on"]:
            self.record_dir.mkdir(parents=True, exist_ok=True)
            path = recording_path(self.record_dir)
            self._recording = self.session.start_recording(VideoSpec(str(path))).result(WAIT)
        elif on and not recording["mine"]:
            raise CamappError("camapp run --record is already recording")
        elif not on and recording["on"]:
            if not recording["mine"]:
                raise CamappError("this recording belongs to camapp run --record; stop camapp to end it")
            self.session.stop_recording().result(WAIT)  # the trailer is written before we answer
            self._recording = ""

    def set_events(self, on: bool, classes: list[str] | None = None) -> None:
        wanted = list(dict.fromkeys(classes or ["person"]))
        unknown = sorted(set(wanted) - set(self.labels()))
        if on and unknown:
            raise CamappError(f"unknown class {unknown[0]!r}")  # before the running clips stop
        events = self.status()["events"]
        running = events["on"]
        if running and not events["mine"]:
            raise CamappError("event clips belong to camapp run --record-on; stop camapp to end them")
        if running and (not on or sorted(wanted) != sorted(self._event_classes)):
            self.session.stop_events().result(WAIT)
            self._event_classes = []
            running = False
        if on and not running:
            spec = EventSpec(str(self.record_dir / "events"), tuple(wanted))
            self.session.start_events(spec).result(WAIT)
            self._event_classes = wanted

    def set_tracking(self, change: DrawnChange) -> None:
        with self._track_lock:
            # the first change starts from what `camapp run` was given (--track, --line, --roi, ...)
            form = self._track_form or self.session.tracking or TrackSpec(enabled=False)
            new = apply_change(form, change)
            self.session.set_tracking(for_session(new)).result(WAIT)  # a refused spec raises here
            self._track_form = new

    def set_motion(self, change: MaskChange) -> None:
        with self._track_lock:
            current = self.session.motion
            # off and on again: the same settings; masks drawn while off apply once it is on
            form = apply_motion(current or self._motion_form or MotionSpec(), change)
            on = current is not None if change.on is None else change.on
            self.session.set_motion(form if on else None).result(WAIT)  # a refused spec raises here
            self._motion_form = form

    def motion_form(self) -> MotionSpec | None:
        """The motion settings the page shows: the running gate's, else those kept while it is off."""
        return self.session.motion or self._motion_form

    def set_notify(self, body: dict[str, Any]) -> None:
        self.notify.apply(parse_notify(body, self.notify.settings)).result(WAIT)
        self._changed()

    def test_notify(self, body: dict[str, Any]) -> None:
        self.notify.test(parse_test(body, self.notify.settings)).result(WAIT)
        self._changed()

    def set_mqtt(self, body: dict[str, Any]) -> None:
        self.mqtt.apply(parse_mqtt(body, self.mqtt.settings)).result(WAIT)
        self._changed()

    def _changed(self) -> None:
        for change in list(self._change_cbs):
            change()

    def set_detect(self, on: bool) -> None:
        self.session.set_detect(on).result(WAIT)

    def snapshot(self) -> None:
        self.last_snapshot = str(self.session.snapshot(self.record_dir / "snapshots").result(WAIT))


def _add(callbacks: list[Any], callback: Any, lock: threading.Lock) -> Callable[[], None]:
    with lock:
        callbacks.append(callback)

    def remove() -> None:
        with lock:
            if callback in callbacks:
                callbacks.remove(callback)

    return remove
