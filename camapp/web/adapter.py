"""Stand-in for `camapp.session.Session` while it is not merged: a running `Pipeline` seen
through the `WebSession` protocol. Delete once `camapp run` builds a Session (see `bind`).

It owns only what the page starts itself (a recording, event clips, snapshots); the pipeline,
detector, source and the command line's own recorders stay the caller's.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from camapp.errors import CamappError


class PipelineSession:
    """A running pipeline plus the page-started recorders; thread-safe commands."""

    def __init__(self, pipeline: Any, detector: Any, record_dir: str | Path, source_name: str = "") -> None:
        self.pipeline = pipeline
        self.detector = detector
        self.record_dir = Path(record_dir)
        self.source_name = source_name
        self._lock = threading.Lock()
        self._result_cbs: list[Callable[[Any], None]] = []
        self._change_cbs: list[Callable[[], None]] = []
        self._rung_ms: dict[int, float] = {}
        self._target_fps: float | None = None
        # what was asked for: the detector takes it at its next frame
        self._threshold: float = float(detector.threshold)
        self._classes: list[str] | None = (
            None if detector.classes is None else sorted({detector.names[i] for i in detector.classes})
        )
        self._paused = False
        self._recorder: Any = None
        self._events: Any = None
        self._snapshots: Any = None
        self._latest: Any = None
        self.last_snapshot = ""
        self.warning = ""
        pipeline.on_result(self._result)
        pipeline.on_state(lambda _stats: self._changed())

    # -- subscriptions ----------------------------------------------------------------------------
    def on_result(self, callback: Callable[[Any], None]) -> Callable[[], None]:
        return self._subscribe(self._result_cbs, callback)

    def on_change(self, callback: Callable[[], None]) -> Callable[[], None]:
        return self._subscribe(self._change_cbs, callback)

    def _subscribe(self, cbs: list[Any], callback: Any) -> Callable[[], None]:
        with self._lock:
            cbs.append(callback)

        def unsubscribe() -> None:
            with self._lock:
                if callback in cbs:
                    cbs.remove(callback)

        return unsubscribe

    def _result(self, result: Any) -> None:
        self._latest = result
        st = result.stats
        if st.infer_ms > 0 and st.input_size:
            self._rung_ms[st.input_size] = st.infer_ms  # measured here, at this rung, on this machine
        with self._lock:
            cbs = list(self._result_cbs)
        for cb in cbs:
            cb(result)

    def _changed(self) -> None:
        with self._lock:
            cbs = list(self._change_cbs)
        for cb in cbs:
            cb()

    # -- status -----------------------------------------------------------------------------------
    def status(self) -> dict[str, Any]:
        st = self.pipeline.stats
        det = self.detector
        names = [n for n in det.names if n and n != "???"]
        rec = self._recorder
        events = self._events
        return {
            "source": self.source_name,
            "device": str(det.device),
            "state": st.state,
            "message": st.message,
            "paused": self._paused,
            "input_size": st.input_size or det.input_size,
            "ladder": [{"size": s, "ms": self._rung_ms.get(s)} for s in det.input_sizes],
            "auto": bool(self.pipeline.auto),
            "target_fps": self._target_fps,
            "threshold": self._threshold,
            "classes": self._classes,
            "labels": sorted(set(names)),
            "capture_fps": st.capture_fps,
            "inference_fps": st.inference_fps,
            "infer_ms": st.infer_ms,
            "latency_ms": st.latency_ms,
            "dropped": st.dropped,
            "frames": st.frames,
            "recording": {
                "on": rec is not None,
                "path": str(rec.path) if rec is not None else None,
                "elapsed": rec.elapsed if rec is not None else 0.0,
                "frames": rec.frames_written if rec is not None else 0,
            },
            "events": {
                "on": events is not None,
                "classes": sorted(events.classes) if events is not None else [],
                "active": events is not None and events.active is not None,
                "clips": len(events.events) if events is not None else 0,
            },
            "snapshot": self.last_snapshot,
            "warning": self.warning,
        }

    # -- commands ---------------------------------------------------------------------------------
    def set_input_size(self, size: int | str, target_fps: float | None = None) -> None:
        self.pipeline.set_input_size(size, target_fps=target_fps)
        if size == "auto":
            self._target_fps = target_fps or self._target_fps
        self._changed()

    def set_threshold(self, threshold: float) -> None:
        self.pipeline.set_threshold(threshold)
        self._threshold = float(threshold)
        self._changed()

    def set_classes(self, labels: list[str] | None) -> None:
        ids = None
        if labels:
            ids = {i for i, n in enumerate(self.detector.names) if n in set(labels)}
            unknown = set(labels) - {self.detector.names[i] for i in ids}
            if unknown:
                raise CamappError(f"unknown class {sorted(unknown)[0]!r}")
        self.pipeline.set_classes(ids)
        self._classes = None if ids is None else sorted(set(labels or ()))
        self._changed()

    def set_paused(self, paused: bool) -> None:
        (self.pipeline.pause if paused else self.pipeline.resume)()
        self._paused = paused
        self._changed()

    def set_recording(self, on: bool) -> None:
        from camapp.record import VideoRecorder

        with self._lock:
            rec, self._recorder = self._recorder, None
            if on and rec is None:
                self.record_dir.mkdir(parents=True, exist_ok=True)
                path = _fresh(self.record_dir / time.strftime("camapp-%Y%m%d-%H%M%S.mp4"))
                rec = VideoRecorder(path)
                if rec.error:
                    raise CamappError(rec.error)
                self.pipeline.add_consumer(rec)
                self._recorder, rec = rec, None
            elif on:
                self._recorder, rec = rec, None  # already recording
        if rec is not None:
            self.pipeline.remove_consumer(rec)
            rec.close()  # the trailer is written before the page hears "stopped"
        self._changed()

    def set_events(self, on: bool, classes: list[str] | None = None) -> None:
        from camapp.record import EventRecorder

        with self._lock:
            ev, self._events = self._events, None
            if on:
                wanted = classes or ["person"]
                unknown = set(wanted) - set(self.detector.names)
                if unknown:
                    self._events = ev
                    raise CamappError(f"unknown class {sorted(unknown)[0]!r}")
                if ev is not None and ev.classes == frozenset(wanted):
                    self._events, ev = ev, None
                else:
                    new = EventRecorder(self.record_dir / "events", wanted)
                    if new.error:
                        self._events = ev
                        raise CamappError(new.error)
                    self.pipeline.add_consumer(new)
                    self._events = new
        if ev is not None:
            self.pipeline.remove_consumer(ev)
            ev.close()
        self._changed()

    def snapshot(self) -> None:
        from camapp.record import SnapshotWriter

        result = self._latest
        if result is None:
            raise CamappError("no frame yet")
        with self._lock:
            if self._snapshots is None or not self._snapshots.running:
                self._snapshots = SnapshotWriter(self.record_dir / "snapshots", fmt="jpg")
            writer = self._snapshots
        future = writer.snapshot()
        writer.submit(result)  # exactly the frame the page shows, also while paused
        path = future.result(timeout=5.0)
        self.last_snapshot = str(path)
        self._changed()

    def close(self) -> None:
        """Finalize what the page started (the pipeline and the CLI's recorders are the caller's)."""
        self.set_recording(False)
        self.set_events(False)
        if self._snapshots is not None:
            self._snapshots.close()


def _fresh(path: Path) -> Path:
    """`path`, or `path-2`, `path-3`, ... : a recording never overwrites a file."""
    n = 2
    candidate = path
    while candidate.exists():
        candidate = path.with_name(f"{path.stem}-{n}{path.suffix}")
        n += 1
    return candidate
