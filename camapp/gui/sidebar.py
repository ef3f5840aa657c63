"""The side panel: every control a person needs, grouped and labelled so no docs are needed."""

from __future__ import annotations

import os

from PyQt6.QtCore import QEvent, QObject, Qt
from PyQt6.QtGui import QColor, QIcon, QPainter, QPixmap
from PyQt6.QtWidgets import (
    QBoxLayout,
    QCheckBox,
    QComboBox,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QSlider,
    QSpinBox,
    QStyle,
    QVBoxLayout,
    QWidget,
)

from camapp.gui.elide import WrapLabel
from camapp.gui.panel import ClassFilter, RungSlider

# the resolution box's title: the network's input sizes, or (a fixed-input network) the region it sees
RESOLUTION_TITLES = {False: "Resolution (network input)", True: "Inference region (digital zoom)"}


def tight(layout: QBoxLayout) -> QBoxLayout:
    """A side bar box's layout with close margins: a 1280x800 window then shows every box down
    to the tracking buttons without scrolling, also while recording."""
    layout.setContentsMargins(8, 4, 8, 6)
    layout.setSpacing(3)
    return layout


def _button(text: str, tip: str = "") -> QPushButton:
    b = QPushButton(text)
    b.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # Space/R/S stay shortcuts, not button presses
    if tip:
        b.setToolTip(tip)
    return b


def record_icon() -> QIcon:
    """A red dot: no font is guaranteed to have a record glyph."""
    pix = QPixmap(32, 32)
    pix.fill(Qt.GlobalColor.transparent)
    p = QPainter(pix)
    p.setRenderHint(QPainter.RenderHint.Antialiasing)
    p.setBrush(QColor(211, 47, 47))
    p.setPen(QColor(255, 255, 255))
    p.drawEllipse(4, 4, 24, 24)
    p.end()
    return QIcon(pix)


class SideBar(QScrollArea):
    """Source, detector, resolution, detection filters and output, top to bottom (the window adds
    tracking, then events and long recordings, below)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWidgetResizable(True)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setMinimumWidth(300)
        self.setMaximumWidth(380)
        body = QWidget()
        col = QVBoxLayout(body)
        col.setSpacing(4)
        col.setContentsMargins(6, 6, 6, 6)

        # Source
        src = QGroupBox("Source")
        s = tight(QVBoxLayout(src))
        self.source = QComboBox()
        self.source.setToolTip("Cameras found on this machine, and recent files and streams")
        self.source.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.source.setMinimumContentsLength(16)
        self.open_file = _button("Open video file…", "Play a video file (or drop one on the window)")
        self.open_url = _button("Stream URL…", "RTSP, HTTP or any URL OpenCV/FFmpeg can read")
        row = QHBoxLayout()
        row.addWidget(self.open_file)
        row.addWidget(self.open_url)
        s.addWidget(self.source)
        s.addLayout(row)
        col.addWidget(src)

        # Detector
        dev = QGroupBox("Detector")
        f = tight(QHBoxLayout(dev))  # one row: the panel's height goes to the detection controls
        self.device = QComboBox()
        self.device.addItem("CPU", "cpu")
        self.threads = QSpinBox()
        self.threads.setRange(1, max(1, os.cpu_count() or 1))
        self.threads.setValue(max(1, os.cpu_count() or 1))
        self.threads.setToolTip("CPU threads for inference")
        f.addWidget(QLabel("Device"))
        f.addWidget(self.device, 1)
        f.addWidget(QLabel("Threads"))
        f.addWidget(self.threads)
        col.addWidget(dev)

        # Resolution multiplier
        res = self.resolution = QGroupBox(RESOLUTION_TITLES[False])
        r = tight(QVBoxLayout(res))
        self.rungs = RungSlider()
        r.addWidget(self.rungs)
        col.addWidget(res)

        # Detection filters
        det = QGroupBox("Detection")
        d = tight(QVBoxLayout(det))
        self.threshold_label = QLabel()
        self.threshold_label.setToolTip("Confidence threshold: boxes scoring less are hidden")
        self.threshold = QSlider(Qt.Orientation.Horizontal)
        self.threshold.setRange(5, 95)
        self.threshold.setSingleStep(1)
        self.threshold.setPageStep(5)
        self.threshold.setToolTip("Hide detections scoring below this")
        self.threshold.valueChanged.connect(self._threshold_text)
        self.classes = ClassFilter()
        self.detect = QCheckBox("Detect")
        self.detect.setChecked(True)
        self.detect.setToolTip("Run the detector; off, the video and recordings go on without boxes")
        d.addWidget(self.detect)
        trow = QHBoxLayout()  # label and slider on one row
        trow.addWidget(self.threshold_label)
        trow.addWidget(self.threshold, 1)
        d.addLayout(trow)
        d.addWidget(self.classes, 1)
        col.addWidget(det, 1)

        # Output
        out = QGroupBox("Output")
        o = tight(QVBoxLayout(out))
        self.record = _button("Record  (R)", "Record the annotated video to the output folder")
        self.record.setIcon(record_icon())
        self.record.setCheckable(True)
        self.record.setObjectName("record")
        self.record_info = WrapLabel("Not recording")  # a long error wraps inside the panel
        self.record_info.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.snapshot = _button("Snapshot  (S)", "Save the current annotated frame as a picture")
        self.snapshot.setIcon(self.style().standardIcon(QStyle.StandardPixmap.SP_DialogSaveButton))
        self.pause = _button("Pause  (Space)", "Pause or resume the video")
        self.pause.setIcon(self.style().standardIcon(QStyle.StandardPixmap.SP_MediaPause))
        self.pause.setCheckable(True)
        self.folder = WrapLabel()
        self.folder.setStyleSheet("font-size: 8pt;")
        self.change_folder = _button("Change…", "Where recordings and snapshots go")
        row2 = QHBoxLayout()
        row2.addWidget(self.snapshot)
        row2.addWidget(self.pause)
        frow = QHBoxLayout()
        frow.addWidget(self.folder, 1)
        frow.addWidget(self.change_folder)
        o.addWidget(self.record)
        o.addWidget(self.record_info)
        o.addLayout(row2)
        o.addLayout(frow)
        col.addWidget(out)

        self.setWidget(body)
        body.installEventFilter(self)
        self._fit_width()
        self.setStyleSheet(
            "QPushButton#record:checked { background: #c62828; color: white; font-weight: bold; }"
            "QLabel#rungValue { font-weight: bold; }"
        )

    def _fit_width(self) -> None:
        """As wide as the contents need with a vertical scroll bar showing (a short window scrolls
        the panel), so nothing is ever cut at the right edge; long texts wrap or elide instead."""
        body = self.widget()
        if body is None:
            return
        bar = self.verticalScrollBar().sizeHint().width()
        need = body.minimumSizeHint().width() + bar + 2 * self.frameWidth()
        self.setMinimumWidth(min(max(300, need), self.maximumWidth()))

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt API
        if obj is self.widget() and event.type() == QEvent.Type.LayoutRequest:
            self._fit_width()
        return super().eventFilter(obj, event)

    def _threshold_text(self, value: int) -> None:
        self.threshold_label.setText(f"Threshold {value}%")

    def set_threshold(self, value: float) -> None:
        self.threshold.setValue(round(value * 100))
        self._threshold_text(self.threshold.value())

    def set_cameras(self, cameras: list[tuple[str, str]]) -> None:
        """Cameras first, then the files and streams already in the list."""
        combo = self.source
        combo.blockSignals(True)
        keep = [(combo.itemData(i), combo.itemText(i)) for i in range(combo.count())]
        current = combo.currentData()
        combo.clear()
        for spec, label in cameras:
            combo.addItem(label, spec)
        if not cameras:
            combo.addItem("No camera found", None)
        for spec, label in keep:
            if spec and combo.findData(spec) < 0 and not str(spec).isdigit():
                combo.addItem(label, spec)
        if current is not None and combo.findData(current) >= 0:
            combo.setCurrentIndex(combo.findData(current))
        combo.blockSignals(False)

    def select_source(self, spec: str, label: str) -> None:
        i = self.source.findData(spec)
        if i < 0:
            self.source.addItem(label, spec)
            i = self.source.count() - 1
        self.source.setCurrentIndex(i)

    def add_devices(self, found: list[tuple[str, str]], wanted: str) -> bool:
        """Add accelerators; select `wanted` if it is among them. True if the selection changed."""
        for device, label in found:
            if self.device.findData(device) < 0:
                self.device.addItem(label, device)
        i = self.device.findData(wanted)
        if i >= 0 and i != self.device.currentIndex():
            self.device.setCurrentIndex(i)
            return True
        return False
