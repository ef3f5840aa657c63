"""The side bar's "Events & long recordings" box: what `camapp run` offers beyond one video file.

Event clips (which classes start one, pre- and post-roll, folder), the detection log, and
segment length plus a disk cap for long recordings. The box only edits `OutputChoices`; the
window hands them to the session.
"""

from __future__ import annotations

from PyQt6.QtCore import Qt, pyqtSignal
from PyQt6.QtWidgets import (
    QCheckBox,
    QDoubleSpinBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from camapp.gui.elide import NoteLabel
from camapp.gui.settings import OutputChoices
from camapp.gui.sidebar import tight


def _seconds(value: float, tip: str) -> QDoubleSpinBox:
    box = QDoubleSpinBox()
    box.setRange(0.0, 60.0)
    box.setDecimals(1)
    box.setSingleStep(0.5)
    box.setSuffix(" s")
    box.setValue(value)
    box.setToolTip(tip)
    return box


class RecordingPanel(QGroupBox):
    """Events, log and segment controls. `events_toggled` / `log_toggled` start or stop them;
    `changed` fires when a value the next recording or clip uses was edited."""

    events_toggled = pyqtSignal(bool)
    log_toggled = pyqtSignal(bool)
    changed = pyqtSignal()
    choose_events_folder = pyqtSignal()

    def __init__(self, choices: OutputChoices, parent: QWidget | None = None) -> None:
        super().__init__("Events && long recordings", parent)
        col = tight(QVBoxLayout(self))

        self.events = QCheckBox("Events: record a clip when these appear")
        self.events.setToolTip("One video file per sighting, with the seconds before and after it")
        self.event_classes = QLineEdit(choices.event_classes)
        self.event_classes.setPlaceholderText("person, dog, car")
        self.event_classes.setToolTip("Label names, separated by commas")
        self.pre_roll = _seconds(choices.pre_roll, "Seconds of video kept from before the first sighting")
        self.post_roll = _seconds(choices.post_roll, "Seconds recorded after the last sighting")
        rolls = QHBoxLayout()
        rolls.addWidget(QLabel("Before"))
        rolls.addWidget(self.pre_roll)
        rolls.addWidget(QLabel("After"))
        rolls.addWidget(self.post_roll)
        self.events_folder = QLabel()
        self.events_folder.setWordWrap(True)
        self.events_folder.setStyleSheet("font-size: 8pt;")
        self.change_events_folder = QPushButton("Folder…")
        self.change_events_folder.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.change_events_folder.setToolTip("Where event clips go")
        frow = QHBoxLayout()
        frow.addWidget(self.events_folder, 1)
        frow.addWidget(self.change_events_folder)
        self.events_info = NoteLabel()
        # the details show only while Events is on, so the Detection box below stays in view
        self.event_details = QWidget()
        details = QVBoxLayout(self.event_details)
        details.setContentsMargins(0, 0, 0, 0)
        details.setSpacing(3)
        details.addWidget(self.event_classes)
        details.addLayout(rolls)
        details.addLayout(frow)
        details.addWidget(self.events_info)
        col.addWidget(self.events)
        col.addWidget(self.event_details)

        self.log = QCheckBox("Log detections (JSON Lines)")
        self.log.setToolTip("One line per frame with every box, written to the output folder")
        self.log_info = NoteLabel()
        col.addWidget(self.log)
        col.addWidget(self.log_info)

        form = QFormLayout()
        self.segment_min = QDoubleSpinBox()
        self.segment_min.setRange(0.0, 24 * 60.0)
        self.segment_min.setDecimals(1)
        self.segment_min.setSuffix(" min")
        self.segment_min.setSpecialValueText("one file")
        self.segment_min.setToolTip("Cut recordings into files of this length, without losing a frame")
        self.keep_gb = QDoubleSpinBox()
        self.keep_gb.setRange(0.0, 100000.0)
        self.keep_gb.setDecimals(1)
        self.keep_gb.setSuffix(" GB")
        self.keep_gb.setSpecialValueText("no limit")
        self.keep_gb.setToolTip("With segments: delete the oldest files while they take more than this")
        form.addRow("New file every", self.segment_min)
        form.addRow("Keep at most", self.keep_gb)
        col.addLayout(form)
        self.set_choices(choices)

        self.events.toggled.connect(self.event_details.setVisible)
        self.events.toggled.connect(self.events_toggled)
        self.log.toggled.connect(self.log_toggled)
        self.change_events_folder.clicked.connect(self.choose_events_folder)
        self.segment_min.valueChanged.connect(self._segments_changed)
        for box in (self.pre_roll, self.post_roll, self.keep_gb):
            box.valueChanged.connect(lambda _: self.changed.emit())
        self.event_classes.editingFinished.connect(self.changed)

    def set_choices(self, c: OutputChoices) -> None:
        """Show `c` without emitting anything."""
        for w in (self.events, self.log, self.segment_min, self.keep_gb):
            w.blockSignals(True)
        self.events.setChecked(c.events)
        self.log.setChecked(c.log)
        self.event_classes.setText(c.event_classes)
        self.pre_roll.setValue(c.pre_roll)
        self.post_roll.setValue(c.post_roll)
        self.segment_min.setValue(c.segment_min)
        self.keep_gb.setValue(c.keep_gb)
        self.keep_gb.setEnabled(c.segment_min > 0)
        self.event_details.setVisible(c.events)
        for w in (self.events, self.log, self.segment_min, self.keep_gb):
            w.blockSignals(False)

    def choices(self, events_dir: str) -> OutputChoices:
        return OutputChoices(
            events=self.events.isChecked(),
            event_classes=self.event_classes.text(),
            pre_roll=self.pre_roll.value(),
            post_roll=self.post_roll.value(),
            events_dir=events_dir,
            log=self.log.isChecked(),
            segment_min=self.segment_min.value(),
            keep_gb=self.keep_gb.value(),
        )

    def class_names(self) -> tuple[str, ...]:
        return tuple(c.strip() for c in self.event_classes.text().split(",") if c.strip())

    def set_events_folder(self, folder: str) -> None:
        self.events_folder.setText(f"Clips go to {folder}")

    def uncheck(self, box: QCheckBox) -> None:
        """Turn a box off after a failure, without asking to stop what already stopped."""
        box.blockSignals(True)
        box.setChecked(False)
        box.blockSignals(False)

    def _segments_changed(self, minutes: float) -> None:
        self.keep_gb.setEnabled(minutes > 0)
        self.changed.emit()
