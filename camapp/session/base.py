"""The session's plumbing: its state, the observer list and the serial worker's jobs.

Threads. Commands may be called from any thread and return at once with a `Future`. Slow steps
(loading the model, timing rungs, opening a camera or stream, stopping a pipeline, finalizing a
recording) run in order on one serial worker thread. Observers are called on the thread where
the event happened (the worker, the pipeline's delivery thread, a recorder's thread): they must
be quick and must not call back into the session and wait. A failure is never raised into the
caller: it is emitted as a `failed` event and stored in the returned future.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable
from concurrent.futures import Future
from typing import TYPE_CHECKING, Any

from camapp.errors import CamappError, DeviceError, ModelError, SourceError
from camapp.session.livems import LiveRungs
from camapp.session.specs import DetectorInfo, ModelMissing, ModelSpec, OutputSpec, SourceSpec, TrackSpec
from camapp.session.worker import SerialWorker

if TYPE_CHECKING:  # the session imports its stages only when it builds them
    from camapp.detect.base import Detector
    from camapp.pipeline import Result, Stats
    from camapp.pipeline.gate import MotionGate
    from camapp.pipeline.tracking import TrackingPipeline
    from camapp.record import Recorder, SnapshotWriter
    from camapp.session.motion import MotionSpec
    from camapp.track import TrackStage

Observer = Callable[[str, dict[str, Any]], None]
# The kind a failure is reported with, by exception class (most specific first).
KINDS: tuple[tuple[type, str], ...] = (
    (ModelMissing, "model-missing"),
    (ModelError, "model"),
    (SourceError, "source"),
    (DeviceError, "device"),
)


class SessionBase:
    """State, observers and jobs; `Session` adds the commands."""

    def __init__(self) -> None:
        self.worker = SerialWorker("camapp-session")
        self._observers: list[Observer] = []
        self._lock = threading.RLock()
        self.detector: Detector | None = None
        self.model: ModelSpec | None = None
        self.info: DetectorInfo | None = None
        self.lanes = 1
        self.source: SourceSpec | None = None
        self.source_text = ""
        self.pipeline: TrackingPipeline | None = None
        self.outputs: dict[str, Recorder] = {}  # slot -> running recorder
        self.reports: dict[str, Recorder] = {}  # slot -> latest recorder, also stopped (for the summary)
        self.specs: dict[str, OutputSpec] = {}  # slot -> the spec its latest recorder was built from
        self.armed: dict[str, OutputSpec] = {}  # events and log follow the session to a new source
        self.rung_ms: dict[int, float] = {}
        self.live = LiveRungs()  # the running rung's live median replaces its start-up figure
        self.warnings: list[str] = []
        self.state, self.state_text, self.failure_kind = "idle", "", ""
        self.threshold = 0.5
        self.classes: frozenset[int] | None = None
        self.input_size: int | str | None = None  # a rung, "auto" or None (the model's native size)
        self.target_fps: float | None = None
        self.threads: int | None = None
        self.paused = False
        self.detect = True  # False: detection switched off, remembered for the next source
        self.tracking: TrackSpec | None = None  # remembered for the next source, like the threshold
        # seconds an unseen object lasts: the event clips' post-roll (None: the watcher's default)
        self.linger: float | None = None
        self.stage: TrackStage | None = None  # the running (or last) stage: its counts feed the status
        self.motion: MotionSpec | None = None  # the motion gate, remembered like tracking
        self.moving = False  # motion on, as of the last frame delivered
        self.motion_starts = 0
        self.motion_gate: MotionGate | None = None  # the running (or last) MotionGate
        self.latest: Result | None = None
        self._limits: dict[str, Any] = {}
        self._last_stats: Stats | None = None  # the stopped pipeline's final figures (for a summary)
        self._generation = 0
        self._snapshots: SnapshotWriter | None = None
        self._cancel = threading.Event()  # set by close(): a start-up still loading gives up
        self._closed = False

    # --- observers ----------------------------------------------------------------------------
    def subscribe(self, observer: Observer) -> Callable[[], None]:
        """Call `observer(name, payload)` for every event; returns a function that unsubscribes."""
        with self._lock:
            self._observers.append(observer)

        def unsubscribe() -> None:
            with self._lock:
                if observer in self._observers:
                    self._observers.remove(observer)

        return unsubscribe

    def emit(self, name: str, **payload: Any) -> None:
        with self._lock:
            if self._closed and name not in ("state", "recording_stopped"):
                return
            observers = list(self._observers)
        for observer in observers:
            try:
                observer(name, payload)
            except Exception as exc:  # one broken front-end must not stop the others
                print(f"camapp: observer failed on {name}: {exc!r}", file=sys.stderr)

    def _set_state(self, state: str, text: str = "", kind: str = "") -> None:
        with self._lock:
            self.state, self.state_text, self.failure_kind = state, text, kind
        self.emit("state", state=state, text=text, kind=kind)

    def _fail(self, exc: BaseException, kind: str | None = None, future: Future | None = None) -> None:
        # a source error was reported already, with its own kind; a cancelled start is no failure
        if not getattr(exc, "reported", False) and not isinstance(exc, Cancelled):
            self.emit("failed", kind=kind or kind_of(exc), text=str(exc))
        if future is not None and not future.done():
            future.set_exception(exc)

    def _job(self, fn: Callable[[], Any], kind: str | None = None) -> Future:
        """Run `fn` on the worker; its result or error (also emitted as `failed`) goes to the future."""
        future: Future = Future()

        def run() -> None:
            try:
                future.set_result(fn())
            except CamappError as exc:
                self._fail(exc, kind, future)
            except Exception as exc:  # a bug: still an event, never a dead worker
                self._fail(CamappError(f"{type(exc).__name__}: {exc}"), kind or "error", future)

        if self._closed:
            future.set_exception(CamappError("the session is closed"))
        else:
            self.worker.submit(run)
        return future


class Cancelled(CamappError):
    """The session closed while this was starting (not a failure worth showing)."""


def kind_of(exc: BaseException) -> str:
    return next((k for cls, k in KINDS if isinstance(exc, cls)), "error")
