"""The side bar's Tracking box: "Track objects", trails, a counting line and a zone drawn with
the mouse.

A mixin of `MainWindow` like `RecordingControls`: it turns the box's choices into a `TrackSpec`
for the session (which builds the tracker) and keeps them in the settings. Ids on the boxes and
the trails come from the results; the line's counts and who is in the zone show in the
heads-up line.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from PyQt6.QtCore import pyqtSignal
from PyQt6.QtWidgets import QCheckBox, QGroupBox, QHBoxLayout, QPushButton, QVBoxLayout, QWidget

from camapp.errors import FieldError
from camapp.gui.elide import NoteLabel
from camapp.gui.settings import TrackChoices
from camapp.gui.sidebar import tight
from camapp.session import DRAWN_TRAIL as TRAIL
from camapp.session import TrackSpec
from camapp.session.forms import DrawnChange, apply_drawn, drawn_line, drawn_of, drawn_zone, for_session

CONTROLS = {"line": "Line", "zone": "Zone"}  # what the user drew, as a refusal names it


class TrackPanel(QGroupBox):
    """`changed` fires when tracking or trails are switched or a region is set or cleared;
    `draw` asks the video view to take the next mouse drag as the line, `draw_zone` to take the
    next clicks as the zone's vertices (the two are never on together)."""

    changed = pyqtSignal()
    draw = pyqtSignal(bool)
    draw_zone = pyqtSignal(bool)
    refused = pyqtSignal(str)  # the session refused the choices (any thread emits it)

    def __init__(self, choices: TrackChoices, parent: QWidget | None = None) -> None:
        super().__init__("Tracking", parent)
        col = tight(QVBoxLayout(self))
        self.track = QCheckBox("Track objects")
        self.track.setToolTip("Follow objects across frames: an id on each box, counts per line and zone")
        self.trails = QCheckBox("Trails")
        self.trails.setToolTip(f"Draw each object's last {TRAIL} positions")
        self.draw_line = QPushButton("Draw line")
        self.draw_line.setCheckable(True)
        self.draw_line.setToolTip("Drag across the video to place a counting line")
        self.draw_zone_button = QPushButton("Draw zone")
        self.draw_zone_button.setCheckable(True)
        self.draw_zone_button.setToolTip(
            "Click the zone's corners on the video; double-click or click the first corner to close it.\n"
            "Right-click removes the last corner, Esc cancels."
        )
        self.clear_line = QPushButton("Clear")
        self.clear_line.setToolTip("Remove the counting line and the zone")
        checks = QHBoxLayout()
        checks.addWidget(self.track)
        checks.addWidget(self.trails)
        row = QHBoxLayout()
        row.addWidget(self.draw_line)
        row.addWidget(self.draw_zone_button)
        row.addWidget(self.clear_line)
        self.info = NoteLabel()
        col.addLayout(checks)
        col.addLayout(row)
        col.addWidget(self.info)
        self.line = choices.line
        self.zone = choices.zone
        self.track.setChecked(choices.track)
        self.trails.setChecked(choices.trails)
        self._enable()
        self.track.toggled.connect(lambda _: (self._enable(), self.changed.emit()))
        self.trails.toggled.connect(lambda _: self.changed.emit())
        self.draw_line.toggled.connect(self._line_toggled)
        self.draw_zone_button.toggled.connect(self._zone_toggled)
        self.clear_line.clicked.connect(self._clear)

    def choices(self) -> TrackChoices:
        return TrackChoices(
            track=self.track.isChecked(), line=self.line, zone=self.zone, trails=self.trails.isChecked()
        )

    def restore(self, choices: TrackChoices) -> None:
        """Show `choices` without announcing them (the session already runs them)."""
        blocked = [w.blockSignals(True) for w in (self.track, self.trails)]
        self.track.setChecked(choices.track)
        self.trails.setChecked(choices.trails)
        for w, was in zip((self.track, self.trails), blocked):
            w.blockSignals(was)
        self.line, self.zone = choices.line, choices.zone
        self._enable()

    def set_line(self, line: str) -> None:
        self.line = line
        self.draw_line.setChecked(False)
        self._enable()
        self.changed.emit()

    def set_zone(self, zone: str) -> None:
        self.zone = zone
        self.draw_zone_button.setChecked(False)
        self._enable()
        self.changed.emit()

    def _line_toggled(self, on: bool) -> None:
        if on:
            self.draw_zone_button.setChecked(False)
        self.draw.emit(on)

    def _zone_toggled(self, on: bool) -> None:
        if on:
            self.draw_line.setChecked(False)
        self.draw_zone.emit(on)

    def _clear(self) -> None:
        self.line = self.zone = ""
        self.draw_line.setChecked(False)
        self.draw_zone_button.setChecked(False)
        self._enable()
        self.changed.emit()

    def _enable(self) -> None:
        on = self.track.isChecked()
        for w in (self.trails, self.draw_line, self.draw_zone_button):
            w.setEnabled(on)
        self.clear_line.setEnabled(on and bool(self.line or self.zone))
        if not on:
            self.draw_line.setChecked(False)
            self.draw_zone_button.setChecked(False)
        have = " and ".join(w for w, given in (("line", self.line), ("zone", self.zone)) if given)
        self.info.setText(
            (f"{have.capitalize()} set: counts on the video" if have else "No line or zone") if on else ""
        )


def track_spec(choices: TrackChoices) -> TrackSpec | None:
    """What the session gets: None with tracking off; a bad saved line or zone is dropped."""
    change = DrawnChange(
        line=_valid(drawn_line, choices.line), zone=_valid(drawn_zone, choices.zone), trail=choices.trails
    )
    return for_session(apply_drawn(TrackSpec(enabled=choices.track), change))


def choices_of(spec: TrackSpec | None) -> TrackChoices:
    """What the box shows for the session's spec: its drawn line and zone."""
    if spec is None:
        return TrackChoices()
    line, zone = drawn_of(spec.to_dict())
    return TrackChoices(track=spec.enabled, line=_text(line), zone=_text(zone), trails=spec.trail > 0)


def refusal(exc: FieldError) -> str:
    """A drawn region the session cannot use, named by the control that drew it."""
    return f"{CONTROLS.get(exc.field, exc.field.capitalize())} not set: {exc.reason}"


def _text(points: Sequence[Sequence[float]] | None) -> str:
    """Points as the settings keep them: "x0,y0,x1,y1,..." ("" for none)."""
    return ",".join(f"{v:.3f}" for pt in points or () for v in pt)


def _points(text: str) -> list[tuple[float, float]] | None:
    """The settings' text as points; None when it holds no pairs of numbers."""
    try:
        v = [float(x) for x in text.split(",")]
    except ValueError:
        return None
    return [(v[i], v[i + 1]) for i in range(0, len(v), 2)] if len(v) % 2 == 0 else None


def _valid(build: Callable[[Sequence[Sequence[float]]], Any], text: str) -> list[tuple[float, float]]:
    """The saved region's points when they make a valid region, else [] (none: a bad one is dropped)."""
    points = _points(text) if text else None
    if points is None:
        return []
    try:
        build(points)
    except FieldError:
        return []
    return points


class TrackingControls:
    """Needs `settings`, `side`, `view`, `session` and `state_label` from the window."""

    settings: Any
    side: Any
    view: Any
    session: Any
    state_label: Any

    def _build_tracking(self) -> None:
        """The box goes right under the Output box, so Draw line/zone stay in view while recording."""
        self.tracking = TrackPanel(self.settings.tracking)
        column = self.side.widget().layout()
        assert isinstance(column, QVBoxLayout)
        column.insertWidget(column.indexOf(self.side.record.parentWidget()) + 1, self.tracking)
        self.tracking.changed.connect(self._tracking_changed)
        self.tracking.draw.connect(self._draw_line)
        self.tracking.draw_zone.connect(self._draw_zone)
        self.view.line_drawn.connect(self._line_drawn)
        self.view.zone_drawn.connect(self._zone_drawn)
        self.view.zone_cancelled.connect(lambda: self.tracking.draw_zone_button.setChecked(False))
        self.tracking.refused.connect(self._tracking_refused)
        # remembered by the session: the first source starts with it
        self._tracking_changed()

    def _tracking_changed(self) -> None:
        choices = self.tracking.choices()
        self.settings.tracking = choices
        future = self.session.core.set_tracking(track_spec(choices))  # all live: the video goes on
        future.add_done_callback(self._tracking_settled)

    def _tracking_settled(self, future: Any) -> None:
        """On the session's worker: a refusal goes back to the GUI thread as a signal."""
        exc = None if future.cancelled() else future.exception()
        if exc is not None:
            self.tracking.refused.emit(str(exc))

    def _tracking_refused(self, text: str) -> None:
        """The box and the settings show what the session still runs (e.g. the track extra
        is missing: Track objects unticks itself), and why."""
        choices = choices_of(self.session.core.tracking)
        self.tracking.restore(choices)
        self.settings.tracking = choices
        self.state_label.setText(f"Tracking not changed: {text}")

    def _draw_line(self, on: bool) -> None:
        self.view.drawing = on
        if on:
            self.state_label.setText("Drag across the video to draw the counting line")

    def _draw_zone(self, on: bool) -> None:
        self.view.draw_zone(on)
        if on:
            self.state_label.setText(
                "Click the zone's corners; double-click or click the first one to close "
                "(right-click: undo, Esc: cancel)"
            )

    def _line_drawn(self, ends: tuple[float, float, float, float]) -> None:
        text = _text([ends[:2], ends[2:]])  # checked as the settings will keep it
        try:
            drawn_line(_points(text) or [])
        except FieldError as exc:
            self.state_label.setText(refusal(exc))
            return
        self.view.drawing = False
        self.tracking.set_line(text)

    def _zone_drawn(self, points: list[tuple[float, float]]) -> None:
        """A closed polygon: set as the zone, or refused with the spec's reason (drawing goes on,
        so a right-click can undo the corner that spoilt it)."""
        text = _text(points)
        try:
            drawn_zone(_points(text) or [])
        except FieldError as exc:
            self.state_label.setText(refusal(exc))
            return
        self.view.draw_zone(False)
        self.tracking.set_zone(text)
        self.state_label.setText("Zone set: who is inside shows on the video")
