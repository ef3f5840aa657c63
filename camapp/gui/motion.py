"""The side bar's Motion box: detect only while something moves, on regions, with the overlay.

A small controller beside the Tracking box: it turns the box's choices into a `MotionSpec` for
the session (which builds the motion gate, live) and keeps them in the settings. What the gate
does shows in the heads-up line (motion on/off, share of frames skipped).
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any

from PyQt6.QtCore import pyqtSignal
from PyQt6.QtWidgets import QCheckBox, QGroupBox, QHBoxLayout, QVBoxLayout, QWidget

from camapp.errors import CamappError
from camapp.session import MotionSpec


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


def motion_spec(choices: MotionChoices) -> MotionSpec | None:
    """The session's spec for the box (None: off). A saved mask that no longer parses is dropped."""
    if not choices.on:
        return None
    masks = []
    for text in filter(None, choices.masks.split(";")):
        try:
            MotionSpec.parse(masks=[text])
        except CamappError:
            continue
        masks.append(text)
    return MotionSpec.parse("regions" if choices.regions else "on", masks=masks, overlay=choices.overlay)


class MotionPanel(QGroupBox):
    """`changed` fires when a box is ticked or cleared; `refused` carries the session's reason."""

    changed = pyqtSignal()
    refused = pyqtSignal(str)  # any thread emits it

    def __init__(self, choices: MotionChoices, parent: QWidget | None = None) -> None:
        super().__init__("Motion", parent)
        col = QVBoxLayout(self)
        col.setSpacing(3)
        self.on = QCheckBox("Detect on motion")
        self.on.setToolTip(
            "Run the detector only while something moves (or a followed object does),\n"
            "plus a detection every few seconds; other frames keep the last boxes"
        )
        self.regions = QCheckBox("Regions")
        self.regions.setToolTip("Detect on crops around the motion, at full resolution: small, far objects")
        self.overlay = QCheckBox("Overlay")
        self.overlay.setToolTip("Draw the moving areas (orange) and the detector's regions (cyan)")
        row = QHBoxLayout()
        row.addWidget(self.regions)
        row.addWidget(self.overlay)
        col.addWidget(self.on)
        col.addLayout(row)
        self.masks = choices.masks
        self.restore(choices)
        for box in (self.on, self.regions, self.overlay):
            box.toggled.connect(lambda _: (self._enable(), self.changed.emit()))

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

    def _enable(self) -> None:
        self.regions.setEnabled(self.on.isChecked())
        self.overlay.setEnabled(self.on.isChecked())


class MotionControls:
    """Builds the Motion box under the Tracking box of `window` and keeps the session and the
    settings in step with it (needs `settings`, `side`, `session`, `state_label`, `tracking`)."""

    def __init__(self, window: Any) -> None:
        self.window = window
        self.panel = MotionPanel(load_choices(window.settings))
        column = window.side.widget().layout()
        assert isinstance(column, QVBoxLayout)
        column.insertWidget(column.indexOf(window.tracking) + 1, self.panel)
        self.panel.changed.connect(self.changed)
        self.panel.refused.connect(self._refused)
        self.changed()  # remembered by the session: the first source starts with it

    def changed(self) -> None:
        choices = self.panel.choices()
        save_choices(self.window.settings, choices)
        future = self.window.session.core.set_motion(motion_spec(choices))  # live, never waited on
        future.add_done_callback(self._settled)

    def _settled(self, future: Any) -> None:
        """On the session's worker: a refusal goes back to the GUI thread as a signal."""
        exc = None if future.cancelled() else future.exception()
        if exc is not None:
            self.panel.refused.emit(str(exc))

    def _refused(self, text: str) -> None:
        spec = self.window.session.core.motion
        choices = MotionChoices(
            spec is not None,
            spec is not None and spec.mode == "regions",
            spec is not None and spec.overlay,
            self.panel.masks,
        )
        self.panel.restore(choices)
        save_choices(self.window.settings, choices)
        self.window.state_label.setText(f"Motion not changed: {text}")
