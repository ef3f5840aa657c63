"""The side bar's Tracking box: "Track objects" and a counting line drawn with the mouse.

A mixin of `MainWindow` like `OutputControls`: it turns the box's choices into a `TrackSpec`
for the session (which builds the tracker) and keeps them in the settings. Ids on the boxes
come from the results; the line's counts show in the heads-up line.
"""

from __future__ import annotations

from typing import Any

from PyQt6.QtCore import pyqtSignal
from PyQt6.QtWidgets import QCheckBox, QGroupBox, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from camapp.errors import CamappError
from camapp.gui.settings import TrackChoices
from camapp.session import TrackSpec

LINE_NAME = "line"


class TrackPanel(QGroupBox):
    """`changed` fires when tracking is switched or the line is cleared; `draw` asks the video
    view to take the next mouse drag as the line."""

    changed = pyqtSignal()
    draw = pyqtSignal(bool)

    def __init__(self, choices: TrackChoices, parent: QWidget | None = None) -> None:
        super().__init__("Tracking", parent)
        col = QVBoxLayout(self)
        col.setSpacing(3)
        self.track = QCheckBox("Track objects")
        self.track.setToolTip("Follow objects across frames: an id on each box, counts per line")
        self.draw_line = QPushButton("Draw line")
        self.draw_line.setCheckable(True)
        self.draw_line.setToolTip("Drag across the video to place a counting line")
        self.clear_line = QPushButton("Clear")
        self.clear_line.setToolTip("Remove the counting line")
        row = QHBoxLayout()
        row.addWidget(self.draw_line)
        row.addWidget(self.clear_line)
        self.info = QLabel("")
        self.info.setWordWrap(True)
        col.addWidget(self.track)
        col.addLayout(row)
        col.addWidget(self.info)
        self.line = choices.line
        self.track.setChecked(choices.track)
        self._enable()
        self.track.toggled.connect(lambda _: (self._enable(), self.changed.emit()))
        self.draw_line.toggled.connect(self.draw)
        self.clear_line.clicked.connect(self._clear)

    def choices(self) -> TrackChoices:
        return TrackChoices(track=self.track.isChecked(), line=self.line)

    def set_line(self, line: str) -> None:
        self.line = line
        self.draw_line.setChecked(False)
        self._enable()
        self.changed.emit()

    def _clear(self) -> None:
        self.set_line("")

    def _enable(self) -> None:
        on = self.track.isChecked()
        self.draw_line.setEnabled(on)
        self.clear_line.setEnabled(on and bool(self.line))
        if not on:
            self.draw_line.setChecked(False)
        self.info.setText(
            ("Counting line set: its counts show on the video" if self.line else "No counting line")
            if on
            else ""
        )


def track_spec(choices: TrackChoices) -> TrackSpec | None:
    """What the session gets: None with tracking off; a bad saved line is dropped."""
    if not choices.track:
        return None
    try:
        return TrackSpec.parse([f"{LINE_NAME}:{choices.line}"] if choices.line else [])
    except CamappError:
        return TrackSpec()


class TrackingControls:
    """Needs `settings`, `side`, `view`, `session` and `state_label` from the window."""

    settings: Any
    side: Any
    view: Any
    session: Any
    state_label: Any

    def _build_tracking(self) -> None:
        """The box goes at the end of the Events box's column position + 1."""
        self.tracking = TrackPanel(self.settings.tracking)
        column = self.side.widget().layout()
        assert isinstance(column, QVBoxLayout)
        anchor = getattr(self, "recording", None) or self.side.record.parentWidget()
        column.insertWidget(column.indexOf(anchor) + 1, self.tracking)
        self.tracking.changed.connect(self._tracking_changed)
        self.tracking.draw.connect(self._draw_line)
        self.view.line_drawn.connect(self._line_drawn)
        # remembered by the session: the first source starts with it
        self.session.core.set_tracking(track_spec(self.tracking.choices()))

    def _tracking_changed(self) -> None:
        choices = self.tracking.choices()
        self.settings.tracking = choices
        self.session.core.set_tracking(track_spec(choices))  # a line: live; on/off: restart

    def _draw_line(self, on: bool) -> None:
        self.view.drawing = on
        if on:
            self.state_label.setText("Drag across the video to draw the counting line")

    def _line_drawn(self, ends: tuple[float, float, float, float]) -> None:
        text = ",".join(f"{v:.3f}" for v in ends)
        try:
            TrackSpec.parse([f"{LINE_NAME}:{text}"])
        except CamappError as exc:
            self.state_label.setText(str(exc).replace("--line line: ", "Line not set: "))
            return
        self.view.drawing = False
        self.tracking.set_line(text)
