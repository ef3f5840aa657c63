"""The running session: detector, source, pipeline and recorder, driven off the GUI thread.

Every slow step (loading the model, timing rungs, opening a camera or stream, stopping a
pipeline, finalizing a recording) runs on one serial worker; outcomes come back as Qt signals,
which Qt queues to the GUI thread because this object lives there.
"""

from __future__ import annotations

import sys
import threading
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from PyQt6.QtCore import QObject, pyqtSignal

from camapp.errors import CamappError, DeviceError, ModelError, SourceError
from camapp.gui.bridge import ResultBridge
from camapp.session.worker import SerialWorker, list_accelerators, list_cameras, measure_rungs


@dataclass(frozen=True)
class DetectorConfig:
    """What picks the detector; a change of any of these means loading a new one."""

    model: str | None = None
    device: str = "cpu"


@dataclass
class LiveSettings:
    """Settings applied to a running pipeline without reloading anything."""

    threshold: float = 0.5
    classes: set[int] | None = None
    input_size: int | str | None = None  # a rung, "auto" or None (the model's native size)
    target_fps: float = 15.0
    threads: int | None = None  # CPU threads; None = all cores


@dataclass(frozen=True)
class DetectorInfo:
    """What the controls need from a freshly loaded detector (known before any source opens)."""

    names: tuple[str, ...]
    sizes: tuple[int, ...]
    input_size: int
    fixed_reason: str
    device: str


def is_camera_spec(spec: str) -> bool:
    return spec.isdigit() or spec.startswith("/dev/video") or spec.startswith("picam")


def is_file_spec(spec: str) -> bool:
    return "://" not in spec and not is_camera_spec(spec) and Path(spec).expanduser().is_file()


def model_missing_message(config: DetectorConfig) -> str | None:
    """The store's 'not installed' sentence when the default CPU model is absent, else None.

    Only for the CPU: an accelerator's detector decides itself whether it can run or falls back
    to the CPU model (with a warning), exactly as the command line does.
    """
    if config.model is not None or config.device.split(":", 1)[0] != "cpu":
        return None
    from camapp.store import load_catalog

    entry = load_catalog().default("cpu")
    return None if entry.installed else f"Model {entry.name!r} is not installed"


class Session(QObject):
    """Owns the pipeline's parts; the window calls methods here and listens to the signals."""

    opening = pyqtSignal(str)  # progress text while loading/measuring/opening
    detector_ready = pyqtSignal(object)  # DetectorInfo
    opened = pyqtSignal(str)  # the source spec now streaming
    failed = pyqtSignal(str, str)  # kind ("model-missing", "no-camera", "source", "record", ...), text
    measured = pyqtSignal(object)  # dict[int, float]: ms per rung on this machine
    cameras = pyqtSignal(object)  # list[(spec, label)]
    accelerators = pyqtSignal(object)  # list[(device, label)], e.g. ("edgetpu:usb:0", "Edge TPU (USB 3)")
    warning = pyqtSignal(str)  # e.g. the Edge TPU fell back to the CPU, and why
    recording_started = pyqtSignal(str)
    recording_stopped = pyqtSignal(str, int)  # path, frames written
    snapshot_saved = pyqtSignal(str)
    fetched = pyqtSignal()

    def __init__(self, bridge: ResultBridge, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.bridge = bridge
        self.worker = SerialWorker()
        self.pipeline: Any = None
        self.detector: Any = None
        self.config: DetectorConfig | None = None
        self.live = LiveSettings()
        self.rung_ms: dict[int, float] = {}
        self.recorder: Any = None
        self.spec: str | None = None
        self._snapshots: Any = None
        self._closing = False
        self._cancel = threading.Event()  # set on shutdown: a start-up still loading gives up

    # --- opening ----------------------------------------------------------------------------
    def scan_devices(self) -> None:
        """Cameras and accelerators, found off the GUI thread (probing can be slow)."""

        def scan() -> None:
            self._emit(self.cameras, list_cameras())
            self._emit(self.accelerators, list_accelerators())

        threading.Thread(target=scan, name="camapp-scan", daemon=True).start()

    def open(self, spec: str, config: DetectorConfig) -> None:
        """Stop what runs now, then (re)load the detector if needed and start `spec`."""
        self.bridge.detach()
        self.worker.submit(lambda: self._open(spec, config))

    def _open(self, spec: str, config: DetectorConfig) -> None:
        self._stop_recording()
        self._stop_pipeline()
        try:
            # The source first: a wrong path or URL is reported at once, not after the model
            # loaded and every rung was timed. Nothing reads it until the pipeline starts.
            self._emit(self.opening, f"Opening {spec}…")
            source = self._open_source(spec, config)
            try:
                if self.detector is None or self.config != config:
                    self._load_detector(config)
            except BaseException:
                source.close()
                raise
            if self._cancel.is_set():
                source.close()
                return
            self._start_pipeline(spec, source)
        except (_SourceFailed, _Cancelled):
            return
        except CamappError as exc:
            self._report(exc)

    def _open_source(self, spec: str, config: DetectorConfig) -> Any:
        """The open source, or (reported) `_SourceFailed`; the model still loads for the controls."""
        from camapp.sources import open_source

        try:
            return open_source(spec, realtime=True, loop=is_file_spec(spec))
        except SourceError as exc:
            cameras = list_cameras() if is_camera_spec(spec) else None
            if cameras == []:
                self._emit(self.cameras, cameras)
                self._emit(self.failed, "no-camera", "No camera found")
            else:
                self._emit(self.failed, "source", str(exc))
        try:  # labels and rungs usable, and the next source starts without waiting for them
            if self.detector is None or self.config != config:
                self._load_detector(config, quiet=True)
        except (CamappError, _Cancelled):
            pass  # reported when a source opens: one problem on screen at a time
        raise _SourceFailed

    def _report(self, exc: CamappError) -> None:
        if isinstance(exc, _ModelMissing):
            self._emit(self.failed, "model-missing", str(exc))
        elif isinstance(exc, ModelError):
            self._emit(self.failed, "model", str(exc))
        elif isinstance(exc, SourceError):
            self._emit(self.failed, "source", str(exc))
        elif isinstance(exc, DeviceError):
            self._emit(self.failed, "device", str(exc))
        else:
            self._emit(self.failed, "error", str(exc))

    def _load_detector(self, config: DetectorConfig, quiet: bool = False) -> None:
        """Load the detector and time its rungs; `quiet` keeps the progress off the screen
        (used behind a source error, which must stay visible). Raises `_Cancelled` on close."""
        from camapp.detect import open_detector

        if self.detector is not None:
            self.detector.close()
            self.detector = None
        missing = model_missing_message(config)
        if missing:
            raise _ModelMissing(missing)
        if not quiet:
            self._emit(self.opening, "Loading the model…")
        self._emit(self.warning, "")  # a new detector: the last one's warnings no longer apply
        said: list[str] = []

        def warn(text: str) -> None:  # the accelerator's warnings, now or later (a lost Coral)
            said.append(text)
            print(f"camapp: warning: {text}", file=sys.stderr)
            self._emit(self.warning, text)

        options: dict[str, Any] = {"threshold": self.live.threshold}
        if config.device == "cpu":
            if self.live.threads:
                options["threads"] = self.live.threads
        else:
            options["warn"] = warn
        self.detector = open_detector(config.model, device=config.device, fallback=True, **options)
        self.config = config
        if self._cancel.is_set():
            raise _Cancelled
        for text in getattr(self.detector, "warnings", ()):
            if text not in said:
                self._emit(self.warning, str(text))
        det = self.detector
        self._emit(
            self.detector_ready,
            DetectorInfo(
                names=tuple(det.names),
                sizes=tuple(det.input_sizes),
                input_size=int(det.input_size),
                fixed_reason=str(getattr(det, "fixed_input_reason", "") or ""),
                device=str(getattr(det, "requested_device", None) or det.device),  # the user's choice
            ),
        )

        def progress(n: int, total: int) -> None:
            if not quiet:
                self._emit(self.opening, f"Timing input sizes on this machine… {n + 1}/{total}")

        measured = measure_rungs(self.detector, progress=progress, cancelled=self._cancel.is_set)
        if self._cancel.is_set():
            raise _Cancelled
        self.rung_ms = measured
        self._emit(self.measured, dict(self.rung_ms))

    def _start_pipeline(self, spec: str, source: Any) -> None:
        from camapp.pipeline import Pipeline

        on_result, on_state = self.bridge.attach()
        pipeline = Pipeline(source, self.detector)
        pipeline.on_result(on_result)
        pipeline.on_state(on_state)
        self.pipeline = pipeline
        self.spec = spec
        self.apply(self.live)
        pipeline.start()
        self._emit(self.opened, spec)

    # --- live settings (cheap, thread-safe pipeline calls) ------------------------------------
    def apply(self, live: LiveSettings) -> None:
        self.live = replace(live)
        p = self.pipeline
        if p is None:
            return
        p.set_threshold(live.threshold)
        on_cpu = getattr(self.detector, "device", "cpu") == "cpu"
        if live.threads and on_cpu and live.threads != getattr(self.detector, "threads", live.threads):
            p.set_threads(live.threads)
        p.set_classes(set(live.classes) if live.classes is not None else None)
        sizes = tuple(self.detector.input_sizes) if self.detector is not None else ()
        if live.input_size == "auto" and len(sizes) > 1:
            p.set_input_size("auto", target_fps=live.target_fps)
        elif isinstance(live.input_size, int) and live.input_size in sizes:
            p.set_input_size(live.input_size)

    def pause(self, on: bool) -> None:
        if self.pipeline is not None:
            (self.pipeline.pause if on else self.pipeline.resume)()

    # --- recording ----------------------------------------------------------------------------
    def start_recording(self, folder: Path) -> None:
        self.worker.submit(lambda: self._start_recording(folder))

    def _start_recording(self, folder: Path) -> None:
        if self.pipeline is None or self.recorder is not None:
            return
        try:
            from camapp.record import VideoRecorder
        except ImportError as exc:
            self._emit(self.failed, "record", f"Recording is not available: {exc}")
            return
        try:
            folder.mkdir(parents=True, exist_ok=True)
            path = folder / time.strftime("camapp-%Y%m%d-%H%M%S.mp4")
            rec = VideoRecorder(path, on_error=self._recording_failed)
        except (OSError, CamappError) as exc:
            self._emit(self.failed, "record", f"Cannot record into {folder}: {exc}")
            return
        if rec.error:  # an unwritable path fails at construction
            self._emit(self.failed, "record", rec.error)
            return
        self.recorder = rec
        self.pipeline.add_consumer(rec)
        self._emit(self.recording_started, str(path))

    def _recording_failed(self, message: str) -> None:
        """Recorder thread: a write error (full disk) ended the recording; detach and report it."""
        self._emit(self.failed, "record", f"Recording stopped: {message}")
        self.worker.submit(self._stop_recording)

    def stop_recording(self) -> None:
        self.worker.submit(self._stop_recording)

    def _stop_recording(self) -> None:
        rec, self.recorder = self.recorder, None
        if rec is None:
            return
        if self.pipeline is not None:
            self.pipeline.remove_consumer(rec)
        rec.close()  # encodes what is queued and writes the trailer
        self._emit(self.recording_stopped, str(rec.path), int(rec.frames_written))

    def snapshot(self, folder: Path, result: Any) -> None:
        """Save `result` (the frame on screen, so it works while paused), off the GUI thread."""
        self.worker.submit(lambda: self._snapshot(folder, result))

    def _snapshot(self, folder: Path, result: Any) -> None:
        from camapp.record import SnapshotWriter

        writer = self._snapshots
        if writer is None or writer.directory != folder or not writer.running:
            if writer is not None:
                writer.close()
            writer = self._snapshots = SnapshotWriter(folder, fmt="png")
        future = writer.snapshot()
        writer.submit(result)  # not a pipeline consumer: it gets exactly the frame on screen

        def done(fut: Any) -> None:
            try:
                self._emit(self.snapshot_saved, str(fut.result()))
            except Exception as exc:
                self._emit(self.failed, "snapshot", f"Snapshot not saved: {exc}")

        future.add_done_callback(done)

    # --- stopping -----------------------------------------------------------------------------
    def _stop_pipeline(self) -> None:
        p, self.pipeline = self.pipeline, None
        if p is not None:
            p.stop(timeout=3.0)

    def fetch_model(self) -> None:
        self.worker.submit(self._fetch)

    def _fetch(self) -> None:
        from camapp.store import load_catalog
        from camapp.store.fetch import fetch

        self._emit(self.opening, "Downloading the model…")
        try:
            fetch(load_catalog().default("cpu"), progress=False, say=lambda _: None)
        except CamappError as exc:
            self._emit(self.failed, "model-missing", f"Download failed: {exc}")
            return
        self._emit(self.fetched)

    def shutdown(self, timeout: float = 5.0) -> bool:
        """Finalize any recording and stop every thread; True if all finished in time."""

        def final() -> None:
            self._stop_recording()
            self._stop_pipeline()
            if self._snapshots is not None:
                self._snapshots.close()
            if self.detector is not None:
                self.detector.close()
                self.detector = None

        self._cancel.set()
        self.bridge.detach()
        ok = self.worker.run_and_wait(final, timeout)
        self._closing = True
        self.worker.stop()
        return ok

    def _emit(self, signal: Any, *args: Any) -> None:
        if not self._closing:
            signal.emit(*args)


class _SourceFailed(Exception):
    """The source did not open; already reported."""


class _Cancelled(Exception):
    """The window closed while the session was still starting."""


class _ModelMissing(ModelError):
    """The default model is not in the store yet (the GUI offers to fetch it)."""
