"""The main window: wires the side bar, the video view and the status bar to the session."""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PyQt6.QtCore import QSignalBlocker, Qt, QTimer, QUrl
from PyQt6.QtGui import QCloseEvent, QDragEnterEvent, QDropEvent, QKeySequence, QShortcut
from PyQt6.QtWidgets import (
    QFileDialog,
    QHBoxLayout,
    QInputDialog,
    QMainWindow,
    QStyle,
    QWidget,
)

from camapp.gui.bridge import ResultBridge, SessionBridge
from camapp.gui.motion import MotionControls
from camapp.gui.recording_controls import RecordingControls
from camapp.gui.settings import Settings
from camapp.gui.sidebar import RESOLUTION_TITLES, SideBar
from camapp.gui.statusbar import StatusLine
from camapp.gui.tracking import TrackingControls
from camapp.gui.video_view import VideoView
from camapp.session import DetectorInfo, ModelSpec, is_file_spec
from camapp.session.devices import device_label, runs_on_cpu_threads
from camapp.session.worker import yield_cpu_to_gui

VIDEO_FILTER = "Videos (*.mp4 *.mkv *.avi *.mov *.webm *.m4v *.mpg *.mpeg *.ts);;All files (*)"
NO_CAMERA = "No camera found — open a video file or a stream"


@dataclass
class GuiOptions:
    """Command-line choices; None means "use what the settings remember"."""

    source: str | None = None
    model: str | None = None
    device: str | None = None
    threads: int | None = None
    threshold: float | None = None


class MainWindow(RecordingControls, TrackingControls, QMainWindow):
    def __init__(self, settings: Settings, options: GuiOptions | None = None) -> None:
        super().__init__()
        self.settings = settings
        self.options = options or GuiOptions()
        self.setWindowTitle("camapp")
        self.setAcceptDrops(True)
        self.bridge = ResultBridge(self)
        self.session = SessionBridge(self.bridge, self)
        self.view = VideoView()
        self.side = SideBar()
        self.latest: Any = None  # the newest Result shown
        self.recording_path: str | None = None
        self._rec_started = 0.0
        self._names: tuple[str, ...] = ()
        self._closed = False
        self.output_override: Path | None = None  # tests and the stall meter write elsewhere

        central = QWidget()
        lay = QHBoxLayout(central)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.setSpacing(0)
        lay.addWidget(self.view, 1)
        lay.addWidget(self.side)
        self.setCentralWidget(central)
        self._build_status()
        self._restore()
        self._build_outputs()
        self._build_tracking()
        self.motion = MotionControls(self)
        self._connect()
        self._shortcuts()
        self._build_events()
        from camapp.gui.services import ServicesControls

        self.services = ServicesControls(self)  # notifications and MQTT: a dialog, a status bar button
        self.ticker = QTimer(self)
        self.ticker.setInterval(250)
        self.ticker.timeout.connect(self._tick)
        self.ticker.start()

    # --- construction -------------------------------------------------------------------------
    def _build_status(self) -> None:
        self.status = StatusLine()
        self.setStatusBar(self.status)
        self.state_label = self.status.state_label
        self.stat_labels = self.status.stat_labels
        self.fetch_button = self.status.fetch_button
        self.warning_label = self.status.warning_label
        self.fetch_button.clicked.connect(self._fetch_model)

    def _restore(self) -> None:
        s, o = self.settings, self.options
        geometry = s.geometry
        if geometry is not None:
            self.restoreGeometry(geometry)
        else:
            self.resize(1280, 800)
        threshold = o.threshold if o.threshold is not None else s.threshold
        self.side.set_threshold(threshold)
        if o.device and o.device != "cpu":
            self.side.device.addItem(device_label(o.device), o.device)
            self.side.device.setCurrentIndex(self.side.device.count() - 1)
        self.side.threads.setValue(o.threads or s.threads)
        self.side.rungs.target.setValue(s.target_fps)
        self.side.rungs.auto.blockSignals(True)
        self.side.rungs.auto.setChecked(s.input_size == "auto")
        self.side.rungs.auto.blockSignals(False)
        core = self.session.core  # remembered until a source runs, then applied to it
        core.set_threshold(threshold)
        core.set_threads(self.side.threads.value())
        if s.input_size is not None:
            core.set_input_size(s.input_size, target_fps=s.target_fps if s.input_size == "auto" else None)
        self._update_folder()

    def _connect(self) -> None:
        side, ses = self.side, self.session
        self.bridge.result.connect(self._on_result)
        self.bridge.state.connect(self._on_state)
        ses.opening.connect(self._on_opening)
        ses.detector_ready.connect(self._on_detector)
        ses.opened.connect(self._on_opened)
        ses.failed.connect(self._on_failed)
        ses.measured.connect(side.rungs.set_measured)
        ses.cameras.connect(self._on_cameras)
        ses.accelerators.connect(self._on_accelerators)
        ses.warning.connect(self.status.show_warning)
        ses.recording_started.connect(self._on_recording_started)
        ses.recording_stopped.connect(self._on_recording_stopped)
        ses.snapshot_saved.connect(lambda p: self.state_label.setText(f"Snapshot saved: {p}"))
        ses.fetched.connect(self._reopen)
        side.source.activated.connect(self._source_picked)
        side.open_file.clicked.connect(self.open_file_dialog)
        side.open_url.clicked.connect(self.open_url_dialog)
        side.device.activated.connect(lambda _: self._reopen())
        side.device.currentIndexChanged.connect(
            lambda _: side.threads.setEnabled(runs_on_cpu_threads(side.device.currentData() or "cpu"))
        )
        side.threads.valueChanged.connect(self._threads_changed)
        side.rungs.size_chosen.connect(self._rung_chosen)
        side.rungs.auto_chosen.connect(self._auto_chosen)
        side.threshold.valueChanged.connect(self._threshold_moved)
        side.classes.changed.connect(self._classes_changed)
        side.detect.toggled.connect(lambda on: self.session.core.set_detect(on))
        side.record.toggled.connect(self._record_toggled)
        side.snapshot.clicked.connect(self.snapshot)
        side.pause.toggled.connect(self._pause_toggled)
        side.change_folder.clicked.connect(self._choose_folder)

    def _shortcuts(self) -> None:
        keys = {
            "Space": lambda: self.side.pause.click(),
            "R": lambda: self.side.record.click(),
            "S": lambda: self.side.snapshot.click(),
            "F": self.toggle_full_screen,
            "Esc": self.leave_full_screen,
            "Q": self.close,
            "Ctrl+Q": self.close,
        }
        self._shortcut_objs = [QShortcut(QKeySequence(k), self, activated=fn) for k, fn in keys.items()]

    def _build_events(self) -> None:
        """The Events dock (E shows or hides it): the history's events, each opens its clip."""
        from camapp.gui.events_dock import EventsDock

        self.events_dock = EventsDock(self.output_dir, self)
        self.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, self.events_dock)
        self.events_dock.hide()
        self._shortcut_objs.append(
            QShortcut(
                QKeySequence("E"),
                self,
                activated=lambda: self.events_dock.setVisible(not self.events_dock.isVisible()),
            )
        )

    # --- starting -----------------------------------------------------------------------------
    def start(self) -> None:
        """Open the source from the command line, else the last one, else the default camera."""
        self.session.core.scan_devices()
        self._arm_outputs()
        spec = self.options.source or self.settings.source
        if spec and not self.options.source and not ("://" in spec or spec.isdigit() or is_file_spec(spec)):
            spec = None  # a remembered file that has gone away
        self.open_source(spec or "0")

    def config(self) -> ModelSpec:
        return ModelSpec(self.options.model, device=self.side.device.currentData() or "cpu", measure=True)

    def open_source(self, spec: str) -> None:
        self.view.set_message("Starting…", spec)
        self.state_label.setText(f"Opening {spec}…")
        self.fetch_button.setVisible(False)
        self._set_streaming(False)
        self._select_source(spec)
        self.session.open(spec, self.config())

    def _reopen(self) -> None:
        self.open_source(self.session.spec or self.options.source or self.settings.source or "0")

    def open_file_dialog(self) -> None:
        start = (
            str(Path(self.session.spec).parent)
            if self.session.spec and is_file_spec(self.session.spec)
            else ""
        )
        path, _ = QFileDialog.getOpenFileName(self, "Open a video file", start, VIDEO_FILTER)
        if path:
            self.open_source(path)

    def open_url_dialog(self) -> None:
        url, ok = QInputDialog.getText(self, "Open a stream", "Stream URL (rtsp://, http://, …):")
        if ok and url.strip():
            self.open_source(url.strip())

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:  # noqa: N802 - Qt API
        if event.mimeData().hasUrls():
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:  # noqa: N802 - Qt API
        urls = event.mimeData().urls()
        if urls:
            url: QUrl = urls[0]
            self.open_source(url.toLocalFile() if url.isLocalFile() else url.toString())
            event.acceptProposedAction()

    def _source_picked(self, index: int) -> None:
        spec = self.side.source.itemData(index)
        if spec and spec != self.session.spec:
            self.open_source(str(spec))

    # --- session outcomes ---------------------------------------------------------------------
    def _on_opening(self, text: str) -> None:
        self.state_label.setText(text)
        if not self.view.has_frame:
            self.view.set_message("Starting…", text)

    def _on_detector(self, info: DetectorInfo) -> None:
        """Labels and rungs of the model just loaded: usable before any source opens."""
        self.settings.device = info.device
        if info.names != self._names:
            self._names = info.names
            self.side.classes.blockSignals(True)
            self.side.classes.set_labels(info.names, self.settings.classes)
            self.side.classes.blockSignals(False)
            self.session.core.set_classes(self.side.classes.selected())
        wanted = self.session.core.input_size
        rung = wanted if isinstance(wanted, int) else info.input_size
        self.side.rungs.set_sizes(
            info.sizes, rung if rung in info.sizes else info.input_size, info.fixed_reason, info.zooms
        )
        self.side.resolution.setTitle(RESOLUTION_TITLES[bool(info.zooms)])
        self._show_device(info)

    def _on_opened(self, spec: str) -> None:
        self.view.clear_frame()
        self.view.set_message("")
        self.state_label.setText(f"Running: {spec}")
        self.settings.source = spec
        self._select_source(spec)
        self._set_streaming(True)

    def _set_streaming(self, on: bool) -> None:
        """Record, snapshot and pause only mean something while a source streams."""
        for button in (self.side.record, self.side.snapshot, self.side.pause):
            button.setEnabled(on)

    def _on_failed(self, kind: str, text: str) -> None:
        if self._output_failed(kind, text):
            return
        self.fetch_button.setVisible(kind == "model-missing")
        if kind in ("snapshot", "setting"):  # the video goes on
            self.state_label.setText(text)
            return
        self.view.clear_frame()
        self._set_streaming(False)
        if kind == "no-camera":
            self.view.set_message(NO_CAMERA, "Use “Open video file…”, “Stream URL…” or drop a file here.")
            self.state_label.setText("No camera found")
        elif kind == "model-missing":
            self.view.set_message(
                text, "Run  camapp models fetch  in a terminal, or press “Fetch model” below."
            )
            self.state_label.setText(f"{text}: run 'camapp models fetch'")
        else:
            self.view.set_message("Cannot start", text)
            self.state_label.setText(text)

    def _on_cameras(self, cameras: list[tuple[str, str]]) -> None:
        self.side.set_cameras(cameras)
        if self.session.spec:
            self._select_source(self.session.spec)

    def _on_accelerators(self, found: list[tuple[str, str]]) -> None:
        wanted = self.options.device or self.settings.device
        if self.side.add_devices(found, wanted):
            self._reopen()

    def _select_source(self, spec: str) -> None:
        if is_file_spec(spec):
            label = Path(spec).name
        elif spec.isdigit():
            label = f"Camera {spec}"
        else:
            label = spec
        self.side.select_source(spec, label)

    # --- results and state --------------------------------------------------------------------
    def _on_result(self, result: Any) -> None:
        self.latest = result
        self.view.show_result(result)
        state = getattr(result.stats, "state", "running")
        if state == "running" and self.view.message and not self.side.pause.isChecked():
            self.view.set_message("")
        detecting = self.session.core.detect  # switched elsewhere too (MQTT, the browser view)
        if detecting != self.side.detect.isChecked():
            with QSignalBlocker(self.side.detect):
                self.side.detect.setChecked(detecting)
        size = getattr(result.stats, "input_size", None)
        if size and self.side.rungs.auto.isChecked():
            self.side.rungs.set_current(int(size))

    def _on_state(self, state: str, message: str) -> None:
        if state == "reconnecting":
            self.view.set_message("Reconnecting…", message or "The camera stopped sending frames.")
            self.state_label.setText("Reconnecting to the source…")
        elif state == "running":
            self.view.set_message("")
            self.state_label.setText(f"Running: {self.session.spec}")
        elif state == "paused":
            self.view.set_message("Paused", "Press Space to resume", dim=False)
            self.state_label.setText("Paused")
        elif state == "ended":
            self.view.set_message("End of video", "Open another file or stream", dim=True)
            self.state_label.setText("End of video")
        elif state == "error":
            self.view.set_message("Source error", message)
            self.state_label.setText(message or "Source error")

    def _tick(self) -> None:
        """Status bar numbers, four times a second (not per frame)."""
        yield_cpu_to_gui()  # threads started since the last tick (rungs, recorder, encoder)
        stats = getattr(self.latest, "stats", None)
        if stats is not None:
            self.status.show_stats(stats)
        if self.recording_path:
            rec = self.session.recorder
            elapsed = float(getattr(rec, "elapsed", time.monotonic() - self._rec_started))
            # one line: the file's name (its folder is the "Saving to" line), the whole path on hover
            self.side.record_info.setText(
                f"{self.status.show_recording(elapsed)} · {Path(self.recording_path).name}"
            )
            self.side.record_info.setToolTip(self.recording_path)
        else:
            self.status.show_recording(None)
        self._tick_outputs()

    # --- live controls ------------------------------------------------------------------------
    def _rung_chosen(self, size: int) -> None:
        self.settings.input_size = size
        self.session.core.set_input_size(size)

    def _auto_chosen(self, fps: float) -> None:
        self.settings.input_size = "auto"
        self.settings.target_fps = fps
        self.session.core.set_input_size("auto", target_fps=fps)

    def _threads_changed(self, value: int) -> None:
        self.settings.threads = value
        self.session.core.set_threads(value)

    def _threshold_moved(self, value: int) -> None:
        self.settings.threshold = value / 100.0
        self.session.core.set_threshold(value / 100.0)

    def _classes_changed(self, ids: set[int] | None) -> None:
        self.settings.classes = self.side.classes.selected_names()
        self.session.core.set_classes(ids)

    def _pause_toggled(self, on: bool) -> None:
        (self.session.core.pause if on else self.session.core.resume)()
        self.side.pause.setText("Resume  (Space)" if on else "Pause  (Space)")
        icon = QStyle.StandardPixmap.SP_MediaPlay if on else QStyle.StandardPixmap.SP_MediaPause
        self.side.pause.setIcon(self.style().standardIcon(icon))

    def snapshot(self) -> None:
        if self.latest is None:
            self.state_label.setText("Nothing to snapshot yet")
            return
        self.session.core.snapshot(self.output_dir(), self.latest)

    def output_dir(self) -> Path:
        return self.output_override or self.settings.output_dir

    def _fetch_model(self) -> None:
        self.fetch_button.setEnabled(False)
        self.session.core.fetch_model()

    # --- full screen and closing --------------------------------------------------------------
    def toggle_full_screen(self) -> None:
        if self.isFullScreen():
            self.leave_full_screen()
        else:
            self.side.hide()
            self.statusBar().hide()
            self.showFullScreen()

    def leave_full_screen(self) -> None:
        if self.isFullScreen():
            self.showNormal()
            self.side.show()
            self.statusBar().show()

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 - Qt API
        if not self._closed:
            self._closed = True
            self.ticker.stop()
            if not self.isFullScreen():
                self.settings.geometry = self.saveGeometry()
            self.settings.sync()
            self.services.close()  # `offline` to the broker while the session still runs
            if not self.session.shutdown(timeout=8.0):
                print("camapp: a background task did not stop in time", file=sys.stderr)
        event.accept()
