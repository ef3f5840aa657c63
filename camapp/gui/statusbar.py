"""The status bar: what the app is doing, and the pipeline's numbers four times a second."""

from __future__ import annotations

from typing import Any

from PyQt6.QtCore import Qt
from PyQt6.QtWidgets import QLabel, QPushButton, QSizePolicy, QStatusBar, QWidget

from camapp.gui.elide import ElidedLabel


class StatusLine(QStatusBar):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        # Elided in the middle: a long error keeps its start and its reason; the tooltip has it all.
        self.state_label = ElidedLabel("Starting…", mode=Qt.TextElideMode.ElideMiddle)
        # Stays while the detector runs (state_label is overwritten by every step): e.g. the
        # Edge TPU could not be used and the CPU runs instead. Elided; the tooltip has it all.
        self.warning_label = QLabel("")
        self.warning_label.setStyleSheet("color: #b36b00; font-weight: bold;")
        self.warning_label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.warning_label.setVisible(False)
        self.fetch_button = QPushButton("Fetch model")
        self.fetch_button.setVisible(False)
        self.stat_labels = {k: QLabel("") for k in ("capture", "infer", "latency", "dropped", "rec")}
        self.addWidget(self.state_label, 1)
        self.addWidget(self.warning_label, 2)
        self.addWidget(self.fetch_button)
        for lbl in self.stat_labels.values():
            lbl.setMinimumWidth(70)
            self.addPermanentWidget(lbl)

    def show_warning(self, text: str) -> None:
        """`text` until the next detector loads; "" hides it."""
        self.warning_label.setText(f"⚠ {text}" if text else "")
        self.warning_label.setToolTip(text)
        self.warning_label.setVisible(bool(text))

    def show_stats(self, stats: Any) -> None:
        lab = self.stat_labels
        lab["capture"].setText(f"Capture {stats.capture_fps:.1f} fps")
        off = not getattr(stats, "detecting", True)
        lab["infer"].setText("Detection off" if off else f"Inference {stats.infer_ms:.1f} ms")
        lab["latency"].setText(f"Latency {stats.latency_ms:.0f} ms")
        lab["dropped"].setText(f"Dropped {stats.dropped}")

    def show_recording(self, elapsed: float | None) -> str:
        """`None` when not recording; returns the text shown."""
        if elapsed is None:
            text = "Not recording"
        else:
            text = f"● REC {int(elapsed) // 60:02d}:{int(elapsed) % 60:02d}"
        self.stat_labels["rec"].setText(text)
        return text
