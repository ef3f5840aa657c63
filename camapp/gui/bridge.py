"""The Qt bridge: session events to signals on the GUI thread, and pipeline results newest only.

The pipeline calls `push` on its own thread. `push` only stores the result and, if no delivery
is already queued, emits `ready` through a queued connection. The GUI slot then takes whatever
is newest, so a busy GUI never works through a backlog of stale frames: results that arrive
between two deliveries are dropped (and counted).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PyQt6.QtCore import QObject, Qt, pyqtSignal


class ResultBridge(QObject):
    """Lives on the GUI thread; `push`/`push_state` may be called from any thread."""

    result = pyqtSignal(object)  # the newest Result, delivered on the GUI thread
    state = pyqtSignal(str, str)  # (state, message), every change delivered in order
    _ready = pyqtSignal()
    _state_ready = pyqtSignal(str, str)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._lock = threading.Lock()
        self._latest: Any = None
        self._queued = False
        self._closed = False
        self._generation = 0
        self.pushed = 0
        self.delivered = 0
        self._ready.connect(self._deliver, Qt.ConnectionType.QueuedConnection)
        self._state_ready.connect(self.state, Qt.ConnectionType.QueuedConnection)

    @property
    def stale_dropped(self) -> int:
        """Results replaced by a newer one before the GUI got to them."""
        return self.pushed - self.delivered - (1 if self._latest is not None else 0)

    def push(self, result: Any) -> None:
        """Pipeline-thread callback: O(1), never blocks on the GUI."""
        with self._lock:
            if self._closed:
                return
            self.pushed += 1
            self._latest = result
            if self._queued:
                return
            self._queued = True
        self._ready.emit()

    def push_state(self, state: str, message: str = "") -> None:
        with self._lock:
            if self._closed:
                return
        self._state_ready.emit(str(state), str(message or ""))

    def attach(self) -> tuple[Callable[[Any], None], Callable[..., None]]:
        """Callbacks for a new pipeline; those handed to earlier pipelines go quiet.

        One bridge lives on the GUI thread for the app's lifetime (a QObject made on a worker
        thread would deliver on that thread); generations keep a stopped pipeline's late
        results from landing after the new source's frames.
        """
        with self._lock:
            self._generation += 1
            self._latest = None
            gen = self._generation

        def on_result(result: Any) -> None:
            if self._generation == gen:
                self.push(result)

        def on_state(state: Any, message: str = "") -> None:
            """Takes the pipeline's `Stats` (its state and message) or a plain (state, message)."""
            if self._generation == gen:
                if hasattr(state, "state"):
                    state, message = state.state, getattr(state, "message", "")
                self.push_state(str(state), message or "")

        return on_result, on_state

    def detach(self) -> None:
        with self._lock:
            self._generation += 1
            self._latest = None

    def close(self) -> None:
        """Stop delivering: late callbacks from a pipeline being torn down are ignored."""
        with self._lock:
            self._closed = True
            self._latest = None

    def _deliver(self) -> None:
        with self._lock:
            latest, self._latest = self._latest, None
            self._queued = False
            if self._closed or latest is None:
                return
            self.delivered += 1
        self.result.emit(latest)


class SessionBridge(QObject):
    """The one adapter between the Qt-free `camapp.session.Session` and the window.

    Session events arrive on worker, pipeline and recorder threads; re-emitted here as signals
    of an object living on the GUI thread, Qt queues them to it. Results go through a
    `ResultBridge`, so a busy GUI only ever paints the newest. Commands pass straight through:
    they return at once and never raise (failures come back as `failed`).
    """

    opening = pyqtSignal(str)  # progress text while loading/measuring/opening
    detector_ready = pyqtSignal(object)  # camapp.session.DetectorInfo
    opened = pyqtSignal(str)  # the source spec now streaming
    failed = pyqtSignal(str, str)  # kind ("model-missing", "no-camera", "source", "record", ...), text
    measured = pyqtSignal(object)  # dict[int, float]: ms per rung on this machine
    cameras = pyqtSignal(object)  # list[(spec, label)]
    accelerators = pyqtSignal(object)  # list[(device, label)], e.g. ("edgetpu:usb:0", "Edge TPU (USB 3)")
    warning = pyqtSignal(str)  # e.g. the Edge TPU fell back to the CPU, and why
    recording_started = pyqtSignal(str)  # the video recording's path
    recording_stopped = pyqtSignal(str, int)  # path, frames written
    output_started = pyqtSignal(str, str)  # slot ("video", "events", "log"), path
    output_stopped = pyqtSignal(str, str, int)  # slot, path, frames (or log lines)
    snapshot_saved = pyqtSignal(str)
    fetched = pyqtSignal()

    def __init__(self, results: ResultBridge, parent: QObject | None = None) -> None:
        from camapp.session import Session

        super().__init__(parent)
        self.results = results
        self.core = Session()
        self._on_result, self._on_state = results.attach()
        self._plain: dict[str, Callable[[dict[str, Any]], tuple[Any, ...]]] = {
            "opening": lambda e: (self.opening, e["text"]),
            "detector": lambda e: (self.detector_ready, e["info"]),
            "opened": lambda e: (self.opened, e["source"]),
            "failed": lambda e: (self.failed, e["kind"], e["text"]),
            "measured": lambda e: (self.measured, e["ms"]),
            "cameras": lambda e: (self.cameras, e["cameras"]),
            "accelerators": lambda e: (self.accelerators, e["accelerators"]),
            "warning": lambda e: (self.warning, e["text"]),
            "snapshot": lambda e: (self.snapshot_saved, e["path"]),
            "fetched": lambda e: (self.fetched,),
        }
        self.core.subscribe(self._event)

    def __getattr__(self, name: str) -> Any:
        """The session's read-only state (`detector`, `pipeline`, `rung_ms`, `worker`, ...)."""
        if name == "core":
            raise AttributeError(name)
        return getattr(self.core, name)

    @property
    def spec(self) -> str | None:
        return self.core.source.spec if self.core.source is not None else None

    @property
    def recorder(self) -> Any:
        return self.core.outputs.get("video")

    def _event(self, name: str, e: dict[str, Any]) -> None:
        """Any thread: hand the event to the GUI thread as a signal."""
        if name == "result":
            self._on_result(e["result"])
        elif name == "state":
            if e["kind"] == "pipeline":  # the pipeline's own error state
                self._on_state("error", e["text"])
            elif e["state"] in ("starting", "running", "paused", "reconnecting", "ended"):
                self._on_state(e["state"], e["text"])
        elif name == "recording_started":
            self.output_started.emit(e["what"], e["path"])
            if e["what"] == "video":
                self.recording_started.emit(e["path"])
        elif name == "recording_stopped":
            self.output_stopped.emit(e["what"], e["path"], e["frames"])
            if e["what"] == "video":
                self.recording_stopped.emit(e["path"], e["frames"])
        elif name in self._plain:
            signal, *args = self._plain[name](e)
            signal.emit(*args)

    def open(self, spec: str, model: Any) -> None:
        """Stop what runs now, then (re)load the detector if `model` changed and start `spec`."""
        self.results.detach()
        self._on_result, self._on_state = self.results.attach()
        self.core.open(spec, model)

    def start_recording(
        self, folder: Path, segment_s: float | None = None, keep_mb: float | None = None
    ) -> None:
        """Record into `folder`: one time-stamped file, or segments of `segment_s` seconds."""
        from camapp.session import VideoSpec
        from camapp.session.forms import recording_path

        path = recording_path(folder, segmented=bool(segment_s))
        keep = keep_mb if segment_s else None
        self.core.start_recording(VideoSpec(str(path), segment_s, keep_mb=keep, make_folder=True))

    def shutdown(self, timeout: float = 5.0) -> bool:
        """Finalize any recording and stop every thread; True if all finished in time."""
        self.results.detach()
        return self.core.close(timeout)
