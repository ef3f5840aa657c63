"""The side panel's custom controls: the rung slider and the searchable class checklist."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from PyQt6.QtCore import Qt, pyqtSignal
from PyQt6.QtWidgets import (
    QCheckBox,
    QDoubleSpinBox,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QSizePolicy,
    QSlider,
    QVBoxLayout,
    QWidget,
)

from camapp.gui.elide import ElidedLabel
from camapp.session.livems import in_order


class RungSlider(QWidget):
    """The resolution multiplier: one stop per input size, each labelled with its measured ms.

    Left is the smallest (fastest) input, right the largest. "Auto" hands the choice to the
    pipeline, which picks the largest rung that holds the target FPS.

    Where the network's input is fixed (the AI Camera, the AI HAT+), the stops are inference
    regions instead (`set_sizes(..., zooms=...)`): left the whole frame, right a centred zoom;
    the network's speed is the same at every stop, so there is no Auto.
    """

    REGION_TIP = (
        "The network's input is fixed on this device: the slider sets the region of the frame it "
        "sees, a centred digital zoom for small or far objects. Boxes are still drawn on the whole frame."
    )

    size_chosen = pyqtSignal(int)  # a fixed rung
    auto_chosen = pyqtSignal(float)  # target fps

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._sizes: tuple[int, ...] = ()
        self._ms: dict[int, float] = {}
        self._zooms: dict[int, float] = {}  # size -> zoom when the stops are inference regions
        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.slider.setTickPosition(QSlider.TickPosition.TicksBelow)
        self.slider.setTickInterval(1)
        self.slider.setPageStep(1)
        self.slider.valueChanged.connect(self._moved)
        self.value_label = ElidedLabel("Sizes appear once the model is loaded")  # never widens the panel
        self.slider.setRange(0, 0)
        self.slider.setEnabled(False)
        self.value_label.setObjectName("rungValue")
        self._stops = QGridLayout()
        self._stops.setContentsMargins(0, 0, 0, 0)
        self._stops.setHorizontalSpacing(4)  # "139 ms" and "154 ms" never touch
        self.auto = QCheckBox("Auto: keep")
        self.auto.setToolTip("Pick the largest input size that still reaches the target frame rate")
        self.target = QDoubleSpinBox()
        self.target.setRange(1, 120)
        self.target.setDecimals(0)
        self.target.setSuffix(" fps")
        self.target.setValue(15)
        self.auto.toggled.connect(self._auto_toggled)
        self.auto.setEnabled(False)
        self.target.setEnabled(False)
        self.target.valueChanged.connect(lambda v: self.auto.isChecked() and self.auto_chosen.emit(v))
        self.note = QLabel("")
        self.note.setWordWrap(True)
        self.note.setStyleSheet("color: palette(mid);")
        self.note.setVisible(False)
        auto_row = QHBoxLayout()
        auto_row.addWidget(self.auto)
        auto_row.addWidget(self.target)
        auto_row.addStretch(1)
        box = QVBoxLayout(self)
        box.setContentsMargins(0, 0, 0, 0)
        box.addWidget(self.value_label)
        box.addWidget(self.slider)
        box.addLayout(self._stops)
        box.addLayout(auto_row)
        box.addWidget(self.note)

    @property
    def sizes(self) -> tuple[int, ...]:
        return self._sizes

    @property
    def regions(self) -> bool:
        """Whether the stops are inference regions (a fixed-input network) rather than input sizes."""
        return bool(self._zooms)

    def set_sizes(
        self, sizes: Iterable[int], current: int, fixed_reason: str = "", zooms: Sequence[float] = ()
    ) -> None:
        """Rebuild the stops (ascending) and select `current` without emitting; with `zooms` (one
        per size, in the same order) the stops are inference regions."""
        sizes = tuple(sizes)
        self._zooms = dict(zip(sizes, zooms)) if len(zooms) == len(sizes) else {}
        self._sizes = tuple(sorted(set(sizes)))
        self.slider.blockSignals(True)
        self.slider.setRange(0, max(0, len(self._sizes) - 1))
        if current in self._sizes:
            self.slider.setValue(self._sizes.index(current))
        self.slider.blockSignals(False)
        fixed = len(self._sizes) <= 1
        self.slider.setEnabled(not fixed and (self.regions or not self.auto.isChecked()))
        self.auto.setEnabled(not fixed and not self.regions)
        self.target.setEnabled(not fixed and not self.regions)
        self.slider.setToolTip(self.REGION_TIP if self.regions else "")
        self.note.setText(fixed_reason if (fixed or self.regions) and fixed_reason else "")
        self.note.setVisible(bool(self.note.text()))
        self._relabel()

    def set_measured(self, ms: dict[int, float]) -> None:
        self._ms = dict(ms)
        self._relabel()

    def set_current(self, size: int) -> None:
        """Follow the size the pipeline actually runs at (Auto moves it) without emitting."""
        if size in self._sizes and self.slider.value() != self._sizes.index(size):
            self.slider.blockSignals(True)
            self.slider.setValue(self._sizes.index(size))
            self.slider.blockSignals(False)
            self._relabel()

    def current(self) -> int | None:
        return self._sizes[self.slider.value()] if self._sizes else None

    def _relabel(self) -> None:
        while self._stops.count():
            item = self._stops.takeAt(0)
            if item and item.widget():
                item.widget().hide()  # deleteLater waits for the event loop: never show two sets
                item.widget().deleteLater()
        shown = in_order(self._ms)  # the stops never claim a larger input is faster
        for col, size in enumerate(self._sizes):
            ms = shown.get(size)
            if self.regions:
                zoom = self._zooms[size]
                lbl = QLabel(f"{zoom:g}×\n{'whole' if zoom == 1 else 'zoom'}")
                lbl.setToolTip(_region_tip(zoom))
            else:
                lbl = QLabel(f"{size}\n{ms:.0f} ms" if ms is not None else f"{size}\n…")
                lbl.setToolTip(_stop_tip(size, self._ms.get(size), ms))
            lbl.setAlignment(Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop)
            lbl.setStyleSheet("font-size: 8pt;")
            self._stops.addWidget(lbl, 0, col)
        size = self.current()
        if size is None:
            self.value_label.setText("—")
            return
        ms = self._ms.get(size)
        if self.regions:
            self.value_label.setText(f"Region: {_region_text(self._zooms[size])}")
            return
        text = f"Input {size}×{size}" + (f"  ·  {ms:.1f} ms measured" if ms is not None else "")
        self.value_label.setText(("Auto → " if self.auto.isChecked() else "") + text)

    def _moved(self, index: int) -> None:
        self._relabel()
        if self._sizes and (self.regions or not self.auto.isChecked()):
            self.size_chosen.emit(self._sizes[index])

    def _auto_toggled(self, on: bool) -> None:
        self.slider.setEnabled(not on and len(self._sizes) > 1)
        self._relabel()
        if on:
            self.auto_chosen.emit(self.target.value())
        elif self._sizes:
            self.size_chosen.emit(self._sizes[self.slider.value()])


def _region_text(zoom: float) -> str:
    """What the network sees at `zoom`, in words: "whole frame", "central 1/2 (2× zoom)"."""
    return "whole frame" if zoom == 1 else f"central 1/{zoom:g} ({zoom:g}× zoom)"


def _region_tip(zoom: float) -> str:
    return f"The network sees the {_region_text(zoom)} of the frame at its fixed input size"


def _stop_tip(size: int, measured: float | None, shown: float | None) -> str:
    tip = f"{size}×{size} network input"
    if measured is None or shown is None:
        return tip
    tip += f", {measured:.1f} ms per frame measured here"
    if shown > measured:
        tip += f"; shown as {shown:.0f} ms, what a smaller input took (the machine was busier then)"
    return tip


class ClassFilter(QWidget):
    """A searchable checklist of the model's labels; emits the checked set (None = all)."""

    changed = pyqtSignal(object)  # set[int] | None

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.search = QLineEdit()
        self.search.setPlaceholderText("Classes: type to search…")
        self.search.setClearButtonEnabled(True)
        self.search.textChanged.connect(self._filter)
        self.list = QListWidget()
        self.list.setMinimumHeight(90)
        # Take whatever height is left rather than asking for more (which scrolls the side bar).
        self.list.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Ignored)
        self.list.itemChanged.connect(self._item_changed)
        all_btn, none_btn = QPushButton("All"), QPushButton("None")
        all_btn.clicked.connect(lambda: self._set_all(True))
        none_btn.clicked.connect(lambda: self._set_all(False))
        for b in (all_btn, none_btn):
            b.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.summary = QLabel("All classes")
        row = QHBoxLayout()
        row.addWidget(self.summary, 1)
        row.addWidget(all_btn)
        row.addWidget(none_btn)
        box = QVBoxLayout(self)
        box.setContentsMargins(0, 0, 0, 0)
        box.addWidget(self.search)
        box.addWidget(self.list)
        box.addLayout(row)
        self._updating = False

    def set_labels(self, names: Sequence[str], checked: Iterable[str] | None = None) -> None:
        """One row per real class (ids kept as item data); `checked=None` checks all."""
        keep = set(checked) if checked is not None else None
        self._updating = True
        self.list.clear()
        for cid, name in enumerate(names):
            if not name or name == "???":
                continue
            item = QListWidgetItem(name)
            item.setData(Qt.ItemDataRole.UserRole, cid)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            on = keep is None or name in keep
            item.setCheckState(Qt.CheckState.Checked if on else Qt.CheckState.Unchecked)
            self.list.addItem(item)
        self._updating = False
        self._filter(self.search.text())
        self._summarize()

    def items(self) -> list[QListWidgetItem]:
        return [self.list.item(i) for i in range(self.list.count())]

    def selected(self) -> set[int] | None:
        """Checked class ids, or None when every class is checked (no filter)."""
        items = self.items()
        ids = {
            int(i.data(Qt.ItemDataRole.UserRole)) for i in items if i.checkState() == Qt.CheckState.Checked
        }
        return None if len(ids) == len(items) else ids

    def selected_names(self) -> list[str] | None:
        items = self.items()
        names = [i.text() for i in items if i.checkState() == Qt.CheckState.Checked]
        return None if len(names) == len(items) else names

    def set_checked(self, names: Iterable[str] | None) -> None:
        keep = set(names) if names is not None else None
        self._updating = True
        for item in self.items():
            on = keep is None or item.text() in keep
            item.setCheckState(Qt.CheckState.Checked if on else Qt.CheckState.Unchecked)
        self._updating = False
        self._changed()

    def _set_all(self, on: bool) -> None:
        """All/None act on the rows the search shows, so "search bottle, None" does the obvious."""
        self._updating = True
        for item in self.items():
            if not item.isHidden():
                item.setCheckState(Qt.CheckState.Checked if on else Qt.CheckState.Unchecked)
        self._updating = False
        self._changed()

    def _filter(self, text: str) -> None:
        needle = text.strip().lower()
        for item in self.items():
            item.setHidden(bool(needle) and needle not in item.text().lower())

    def _item_changed(self, _item: QListWidgetItem) -> None:
        if not self._updating:
            self._changed()

    def _changed(self) -> None:
        self._summarize()
        self.changed.emit(self.selected())

    def _summarize(self) -> None:
        sel = self.selected()
        total = self.list.count()
        if sel is None:
            self.summary.setText(f"All {total} classes")
        else:
            self.summary.setText(f"{len(sel)} of {total} classes")
