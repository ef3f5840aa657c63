"""The main window's recording controls: the Record button and the output folder, event clips,
the detection log, segments with a disk cap (`RecordingPanel`); and what the Device box says
after a fallback.

A mixin of `MainWindow` (kept apart so the window stays readable); it only turns the panel's
choices into session commands and session events into labels.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from PyQt6.QtCore import Qt
from PyQt6.QtWidgets import QFileDialog, QVBoxLayout

from camapp.gui.recording_panel import RecordingPanel
from camapp.session import DetectorInfo, EventSpec, LogSpec

MB_PER_GB = 1024


class RecordingControls:
    """Needs `settings`, `side`, `session`, `state_label` and `output_dir()` from the window."""

    settings: Any
    side: Any
    session: Any
    state_label: Any
    recording_path: str | None
    _rec_started: float

    def output_dir(self) -> Path:  # pragma: no cover - the window's
        raise NotImplementedError

    def _build_outputs(self) -> None:
        """The panel goes last in the side bar: the least used controls are the ones a short
        screen scrolls to."""
        choices = self.settings.outputs
        self.recording = RecordingPanel(choices)
        column = self.side.widget().layout()
        assert isinstance(column, QVBoxLayout)
        column.addWidget(self.recording)
        self.recording.set_events_folder(str(self.events_dir()))
        rec = self.recording
        rec.events_toggled.connect(self._events_toggled)
        rec.log_toggled.connect(self._log_toggled)
        rec.changed.connect(self._outputs_changed)
        rec.choose_events_folder.connect(self._choose_events_folder)
        self.session.output_started.connect(self._on_output_started)
        self.session.output_stopped.connect(self._on_output_stopped)

    def _arm_outputs(self) -> None:
        """Events and the log, if left on last time, start with the first frame."""
        self.recording.set_events_folder(str(self.events_dir()))
        if self.recording.events.isChecked():
            self._events_toggled(True)
        if self.recording.log.isChecked():
            self._log_toggled(True)

    def events_dir(self) -> Path:
        chosen = self.settings.outputs.events_dir
        return Path(chosen) if chosen else self.output_dir() / "events"

    def _outputs_changed(self) -> None:
        self.settings.outputs = self.recording.choices(self.settings.outputs.events_dir)

    # --- commands -----------------------------------------------------------------------------
    def _start_recording(self) -> None:
        c = self.settings.outputs
        segment_s = c.segment_min * 60.0 if c.segment_min else None
        keep_mb = c.keep_gb * MB_PER_GB if c.keep_gb else None
        self.session.start_recording(self.output_dir(), segment_s, keep_mb)

    def _events_toggled(self, on: bool) -> None:
        self._outputs_changed()
        core = self.session.core
        if not on:
            core.stop_events()
            self.recording.events_info.setText("")
            return
        rec = self.recording
        classes = rec.class_names()
        if not classes:
            self._output_failed("events", "Name at least one class, e.g. person")
            return
        spec = EventSpec(str(self.events_dir()), classes, rec.pre_roll.value(), rec.post_roll.value())
        core.start_events(spec)  # with no source yet it is armed: clips start with the first frame

    def _log_toggled(self, on: bool) -> None:
        self._outputs_changed()
        core = self.session.core
        if not on:
            core.stop_output("log")
            return
        # camapp-YYYYmmdd-HHMMSS.jsonl, a new one per source; the folder is made off this thread
        core.start_output(LogSpec(str(self.output_dir() / "camapp.jsonl"), make_folder=True, stamped=True))

    def _choose_events_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Folder for event clips", str(self.events_dir()))  # type: ignore[arg-type]
        if folder:
            self.settings.outputs = self.recording.choices(folder)
            self.recording.set_events_folder(folder)
            if self.recording.events.isChecked():  # the next clips go there
                self.session.core.stop_events()
                self._events_toggled(True)

    # --- the Record button and the output folder -----------------------------------------------
    def _record_toggled(self, on: bool) -> None:
        if on:
            self._start_recording()
            self.side.record.setText("Stop recording  (R)")
        else:
            self.session.core.stop_recording()
            self.side.record.setText("Record  (R)")

    def _on_recording_started(self, path: str) -> None:
        self.recording_path = path
        self._rec_started = time.monotonic()
        self.state_label.setText(f"Recording to {path}")

    def _on_recording_stopped(self, path: str, frames: int) -> None:
        if self.recording_path is None:  # ended by an error, already shown
            return
        self.recording_path = None
        self.side.record_info.setText(f"Saved {frames} frames:\n{path}")
        self.state_label.setText(f"Saved recording: {path}")
        if self.side.record.isChecked():
            self.side.record.blockSignals(True)
            self.side.record.setChecked(False)
            self.side.record.setText("Record  (R)")
            self.side.record.blockSignals(False)

    def _choose_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Output folder", str(self.settings.output_dir))
        if folder:
            self.settings.output_dir = folder
            self._update_folder()

    def _update_folder(self) -> None:
        self.side.folder.setText(f"Saving to {self.settings.output_dir}")

    # --- session events -----------------------------------------------------------------------
    def _on_output_started(self, slot: str, path: str) -> None:
        if slot == "events":
            self._tick_outputs()
        elif slot == "log":
            self.recording.log_info.setText(f"Logging to {path}")

    def _tick_outputs(self) -> None:
        """Four times a second: say when an event clip is being written, and how many are done."""
        events = self.session.core.report("events")
        if events is None:
            return
        writing, done = events.writing, len(events.clips or ())
        names = ", ".join(writing or self.recording.class_names())
        what = "Recording a clip" if writing else "Watching for"
        self.recording.events_info.setText(f"{what}: {names} · {done} clip(s) saved")

    def _on_output_stopped(self, slot: str, path: str, frames: int) -> None:
        if slot == "events":
            events = self.session.core.report("events", last=True)
            clips = (events.clips or ()) if events is not None else ()
            self.recording.events_info.setText(f"{len(clips)} clip(s) saved in {path}")
        elif slot == "log":
            self.recording.log_info.setText(f"Logged {frames} frames:\n{path}")

    def _output_failed(self, kind: str, text: str) -> bool:
        """Recording, event and log failures belong to the side bar, not the video view."""
        rec = self.recording
        if kind == "record":
            rec.uncheck(self.side.record)
            self.side.record.setText("Record  (R)")
            self.recording_path = None
            self.side.record_info.setText(text)
        elif kind == "events":
            rec.uncheck(rec.events)
            rec.events_info.setText(text)
        elif kind == "log":
            rec.uncheck(rec.log)
            rec.log_info.setText(text)
        else:
            return False
        self._outputs_changed()
        self.state_label.setText(text)
        return True

    def _show_device(self, info: DetectorInfo) -> None:
        """After a fallback the Device box says CPU, and its tooltip gives the whole reason."""
        box = self.side.device
        i = box.findData(info.device)
        if i < 0:
            return
        fell_back = info.running_on == "cpu" and info.device != "cpu"
        label = box.itemText(i).split(" → ")[0]
        box.setItemText(i, f"{label} → CPU" if fell_back else label)
        reason = "\n".join(info.warnings) if fell_back else ""
        box.setItemData(i, reason or None, Qt.ItemDataRole.ToolTipRole)
        box.setToolTip(reason or "Where inference runs")
