"""The side bar's Motion box: detect only while something moves, on regions, with the overlay,
and masks (polygons whose motion is ignored) drawn on the video.

A small controller beside the Tracking box: it turns the box's choices into a `MotionSpec` for
the session (which builds the motion gate, live) and keeps them in the settings. What the gate
does shows in the heads-up line (motion on/off, share of frames skipped). Masks are drawn like
the zone (`camapp.gui.zone_draw`), checked by the session's forms, kept while motion is off and
applied when it is on; the video shows them shaded while they apply, outlined while they wait.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any

from PyQt6.QtCore import QPointF, QRectF, Qt, pyqtSignal
from PyQt6.QtGui import QColor, QPainter, QPen, QPolygonF
from PyQt6.QtWidgets import QCheckBox, QGroupBox, QHBoxLayout, QPushButton, QVBoxLayout, QWidget

from camapp.errors import CamappError, FieldError
from camapp.gui.elide import NoteLabel
from camapp.gui.sidebar import tight
from camapp.session import MotionSpec
from camapp.session.forms import drawn_mask

MASK_LINE = QColor(200, 200, 200)  # the masks' outline: grey like the motion overlay's masks
MASK_SHADE = QColor(128, 128, 128, 115)
MASK_UNDER = QColor(0, 0, 0, 150)


@dataclass(frozen=True)
class MotionChoices:
    """The Motion box: on/off, regions, overlay; `masks` as `x,y,x,y,...` texts joined by `;`."""

    on: bool = False
    regions: bool = False
    overlay: bool = False
    masks: str = ""


def load_choices(settings: Any) -> MotionChoices:
    default = MotionChoices()
    return MotionChoices(
        **{
            f.name: settings._get(
                f"motion/{f.name}", getattr(default, f.name), type(getattr(default, f.name))
            )
            for f in fields(MotionChoices)
        }
    )


def save_choices(settings: Any, choices: MotionChoices) -> None:
    for f in fields(MotionChoices):
        settings._set(f"motion/{f.name}", getattr(choices, f.name))


def saved_masks(masks: str) -> list[str]:
    """The settings' mask texts (`x,y,...` joined by `;`) that parse; a bad one is dropped."""
    kept = []
    for text in filter(None, masks.split(";")):
        try:
            MotionSpec.parse(masks=[text])
        except CamappError:
            continue
        kept.append(text)
    return kept


def motion_spec(choices: MotionChoices) -> MotionSpec | None:
    """The session's spec for the box (None: off). A saved mask that no longer parses is dropped."""
    if not choices.on:
        return None
    return MotionSpec.parse(
        "regions" if choices.regions else "on", masks=saved_masks(choices.masks), overlay=choices.overlay
    )


class MotionPanel(QGroupBox):
    """`changed` fires when a box is ticked or cleared or a mask added or cleared; `draw_mask`
    asks the video view to take the next clicks as a mask's corners; `refused` carries the
    session's reason."""

    changed = pyqtSignal()
    draw_mask = pyqtSignal(bool)
    refused = pyqtSignal(str)  # any thread emits it

    def __init__(self, choices: MotionChoices, parent: QWidget | None = None) -> None:
        super().__init__("Motion", parent)
        col = tight(QVBoxLayout(self))
        self.on = QCheckBox("Detect on motion")
        self.on.setToolTip(
            "Run the detector only while something moves (or a followed object does),\n"
            "plus a detection every few seconds; other frames keep the last boxes"
        )
        self.regions = QCheckBox("Regions")
        self.regions.setToolTip("Detect on crops around the motion, at full resolution: small, far objects")
        self.overlay = QCheckBox("Overlay")
        self.overlay.setToolTip("Draw the moving areas (orange) and the detector's regions (cyan)")
        self.draw = QPushButton("Draw mask")
        self.draw.setCheckable(True)
        self.draw.setToolTip(
            "Click the corners of an area whose motion means nothing (a tree, a screen, a clock);\n"
            "double-click or click the first corner to close it. Right-click removes the last\n"
            "corner, Esc cancels. Masks are kept while motion is off and apply when it is on."
        )
        self.clear = QPushButton("Clear masks")
        self.clear.setToolTip("Remove every mask")
        row = QHBoxLayout()
        row.addWidget(self.regions)
        row.addWidget(self.overlay)
        buttons = QHBoxLayout()
        buttons.addWidget(self.draw)
        buttons.addWidget(self.clear)
        self.info = NoteLabel()
        col.addWidget(self.on)
        col.addLayout(row)
        col.addLayout(buttons)
        col.addWidget(self.info)
        self.masks = choices.masks
        self.restore(choices)
        for box in (self.on, self.regions, self.overlay):
            box.toggled.connect(lambda _: (self._enable(), self.changed.emit()))
        self.draw.toggled.connect(self.draw_mask.emit)
        self.clear.clicked.connect(lambda: self.set_masks(""))

    def choices(self) -> MotionChoices:
        return MotionChoices(
            self.on.isChecked(), self.regions.isChecked(), self.overlay.isChecked(), self.masks
        )

    def restore(self, choices: MotionChoices) -> None:
        """Show `choices` without announcing them (the session already runs them)."""
        for box, value in (
            (self.on, choices.on),
            (self.regions, choices.regions),
            (self.overlay, choices.overlay),
        ):
            box.blockSignals(True)
            box.setChecked(value)
            box.blockSignals(False)
        self.masks = choices.masks
        self._enable()

    def add_mask(self, text: str) -> None:
        """One more mask (`x,y,...`): drawing ends and the session gets it."""
        self.set_masks(";".join(filter(None, (self.masks, text))))

    def set_masks(self, masks: str) -> None:
        self.masks = masks
        self.draw.setChecked(False)
        self._enable()
        self.changed.emit()

    def _enable(self) -> None:
        on = self.on.isChecked()
        self.regions.setEnabled(on)
        self.overlay.setEnabled(on)
        n = len(saved_masks(self.masks))
        self.clear.setEnabled(n > 0)
        count = f"{n} mask{'s' if n > 1 else ''}"
        used = ": motion inside is ignored" if on else ", used with motion on"
        self.info.setText(count + used if n else "No masks")


class MotionControls:
    """Builds the Motion box under the Tracking box of `window` and keeps the session, the
    settings and the masks on the video in step with it (needs `settings`, `side`, `session`,
    `state_label`, `tracking`, `view`)."""

    def __init__(self, window: Any) -> None:
        self.window = window
        self.panel = MotionPanel(load_choices(window.settings))
        self.shown: list[tuple[tuple[float, float], ...]] = []  # the masks on the video
        column = window.side.widget().layout()
        assert isinstance(column, QVBoxLayout)
        column.insertWidget(column.indexOf(window.tracking) + 1, self.panel)
        self.panel.changed.connect(self.changed)
        self.panel.refused.connect(self._refused)
        self.panel.draw_mask.connect(self._draw_mask)
        # one drawing at a time: the counting line's drag ends a mask under way (a zone's
        # polygon does so itself, in the view's drawer)
        window.tracking.draw.connect(lambda on: on and self.panel.draw.setChecked(False))
        window.view.painters.append(self._paint_masks)
        self.changed()  # remembered by the session: the first source starts with it

    def changed(self) -> None:
        choices = self.panel.choices()
        save_choices(self.window.settings, choices)
        self._show(choices)
        future = self.window.session.core.set_motion(motion_spec(choices))  # live, never waited on
        future.add_done_callback(self._settled)

    def _show(self, choices: MotionChoices) -> None:
        self.shown = [m.points for m in MotionSpec.parse(masks=saved_masks(choices.masks)).masks]
        self.window.view.update()

    def _draw_mask(self, on: bool) -> None:
        view = self.window.view
        if not on:
            view.draw_zone(False, "mask")
            return
        self.window.tracking.draw_line.setChecked(False)
        view.draw_zone(True, "mask", self._mask_drawn, lambda: self.panel.draw.setChecked(False))
        self.window.state_label.setText(
            "Click the mask's corners; double-click or click the first one to close "
            "(right-click: undo, Esc: cancel)"
        )

    def _mask_drawn(self, points: list[tuple[float, float]]) -> None:
        """A closed polygon: added to the masks, or refused with the reason (drawing goes on, so
        a right-click can undo the corner that spoilt it)."""
        try:
            mask = drawn_mask(points)
        except FieldError as exc:
            self.window.state_label.setText(f"Mask not set: {exc.reason}")
            return
        self.panel.add_mask(mask.text())
        self.window.state_label.setText(
            "Mask set: motion inside it is ignored"
            + ("" if self.panel.on.isChecked() else " once Detect on motion is on")
        )

    def _paint_masks(self, p: QPainter, target: QRectF) -> None:
        """The masks over the picture: shaded while the gate uses them (unless its overlay shades
        them in the frame already), outlined with dashes while motion is off."""
        if not self.shown:
            return
        on, overlay = self.panel.on.isChecked(), self.panel.overlay.isChecked()
        width = max(1.5, target.height() / 360)
        under = QPen(MASK_UNDER, width + 2)  # a dark edge under the grey: it reads on a white wall
        pen = QPen(MASK_LINE, width, Qt.PenStyle.SolidLine if on else Qt.PenStyle.DashLine)
        x0, y0, w, h = target.x(), target.y(), target.width(), target.height()
        for points in self.shown:
            polygon = QPolygonF([QPointF(x0 + x * w, y0 + y * h) for x, y in points])
            p.setPen(under)
            p.setBrush(MASK_SHADE if on and not overlay else Qt.BrushStyle.NoBrush)
            p.drawPolygon(polygon)
            p.setPen(pen)
            p.setBrush(Qt.BrushStyle.NoBrush)
            p.drawPolygon(polygon)

    def _settled(self, future: Any) -> None:
        """On the session's worker: a refusal goes back to the GUI thread as a signal."""
        exc = None if future.cancelled() else future.exception()
        if exc is not None:
            self.panel.refused.emit(str(exc))

    def _refused(self, text: str) -> None:
        """The box, the video and the settings show what the session still runs, its masks too
        (with motion off, the masks the box keeps), and why."""
        spec = self.window.session.core.motion
        choices = MotionChoices(
            spec is not None,
            spec is not None and spec.mode == "regions",
            spec is not None and spec.overlay,
            ";".join(m.text() for m in spec.masks) if spec is not None else self.panel.masks,
        )
        self.panel.restore(choices)
        save_choices(self.window.settings, choices)
        self._show(choices)
        self.window.state_label.setText(f"Motion not changed: {text}")
