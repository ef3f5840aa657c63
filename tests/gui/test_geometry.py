"""The window keeps its size and every widget stays inside it, whatever the texts grow to.

Long texts used to widen things: ticking Auto ("Auto → Input 300×300 · 7.7 ms measured")
clipped the side panel at 1280 px, and a failed model fetch put its URL in an unwrapped status
label that grew the window to 1849 px. Real model, real clip, Qt offscreen.
"""

from __future__ import annotations

import shutil
import socket
import urllib.error
from pathlib import Path

import pytest
from conftest import BOTTLE_CLIP, need
from gui.windows import WAIT, open_window
from PyQt6.QtCore import QPoint, QRect
from PyQt6.QtWidgets import QWidget

from camapp.gui.window import MainWindow

SIZES = [(1280, 800), (1024, 768)]


def escapes(w: MainWindow) -> list[str]:
    """Visible widgets not wholly inside the window; in the scrolling side bar, not inside its width."""
    win = w.rect()
    viewport = w.side.viewport()
    port = QRect(viewport.mapTo(w, QPoint(0, 0)), viewport.size())
    bad = []
    for c in w.findChildren(QWidget):
        if c.isWindow() or not c.isVisibleTo(w):
            continue
        r = QRect(c.mapTo(w, QPoint(0, 0)), c.size())
        if viewport.isAncestorOf(c):
            ok = r.left() >= port.left() and r.right() <= port.right()  # it scrolls only vertically
        else:
            ok = win.contains(r)
        if not ok:
            bad.append(f"{type(c).__name__} {c.objectName()!r} at {r.getRect()}")
    return bad


def settle(qtbot, w: MainWindow, size: tuple[int, int]) -> None:
    qtbot.wait(300)  # layouts and any resize they ask for
    assert (w.width(), w.height()) == size, "a text widened or heightened the window"
    assert escapes(w) == []


@pytest.mark.parametrize("size", SIZES)
def test_ticking_auto_keeps_the_side_panel_inside(qtbot, model_store, tmp_path, size):
    w = open_window(qtbot, str(need(BOTTLE_CLIP)), tmp_path, size=size)
    try:
        qtbot.waitUntil(lambda: w.view.frames_shown >= 3, timeout=WAIT)
        qtbot.waitUntil(lambda: "ms measured" in w.side.rungs.value_label.text(), timeout=WAIT)
        w.side.rungs.auto.setChecked(True)
        label = w.side.rungs.value_label
        qtbot.waitUntil(lambda: label.text().startswith("Auto → Input"), timeout=WAIT)
        settle(qtbot, w, size)
        assert label.toolTip() == label.text()  # the whole text is a hover away
        assert w.side.widget().width() <= w.side.viewport().width()
    finally:
        w.close()


@pytest.mark.parametrize("size", SIZES)
def test_a_failed_model_fetch_keeps_the_window_size(qtbot, tmp_path, monkeypatch, size):
    monkeypatch.setenv("CAMAPP_MODEL_DIR", str(tmp_path / "empty-store"))

    def no_network(*_args, **_kwargs):
        # This machine has no route to the model host; fail the same way at once, every time.
        raise urllib.error.URLError(socket.gaierror(-3, "Temporary failure in name resolution"))

    monkeypatch.setattr("urllib.request.urlopen", no_network)
    w = open_window(qtbot, str(need(BOTTLE_CLIP)), tmp_path, size=size)
    try:
        qtbot.waitUntil(lambda: w.fetch_button.isVisibleTo(w), timeout=WAIT)
        w.fetch_button.click()
        state = w.state_label
        qtbot.waitUntil(lambda: "Download failed" in state.text(), timeout=WAIT)
        full = state.text()
        assert "https://storage.googleapis.com/" in full and "Temporary failure in name resolution" in full
        settle(qtbot, w, size)
        assert state.toolTip() == full
        shown = state.shown_text()
        assert shown != full and "…" in shown  # elided in the middle: start and reason stay
        assert shown.startswith("Download failed") and shown.endswith("run 'camapp models fetch'")
        assert "Download failed" in w.view.message  # the view wraps it (tests/gui/test_video_view.py)
    finally:
        w.close()


def test_custom_model_without_labels_warns_in_the_status_bar(qtbot, model_path, tmp_path):
    custom = tmp_path / "custom.tflite"
    shutil.copyfile(model_path, custom)
    w = open_window(qtbot, str(need(BOTTLE_CLIP)), tmp_path, size=SIZES[0], model=str(custom))
    try:
        qtbot.waitUntil(lambda: w.warning_label.isVisibleTo(w), timeout=WAIT)
        assert "custom.tflite has no label file" in w.warning_label.toolTip()
        assert "--labels FILE" in w.warning_label.toolTip()
        settle(qtbot, w, SIZES[0])
    finally:
        w.close()


def in_view(w: MainWindow, widget: QWidget) -> bool:
    """Wholly visible in the side bar as it stands (no scrolling needed to reach it)."""
    viewport = w.side.viewport()
    port = QRect(QPoint(0, 0), viewport.size())
    r = QRect(widget.mapTo(viewport, QPoint(0, 0)), widget.size())
    return widget.isVisibleTo(w) and port.contains(r)


def test_recording_at_1280x800_keeps_detection_and_tracking_controls_in_view(qtbot, model_store, tmp_path):
    """A laptop screen: with a recording running (its elapsed time and long path under the
    button) and tracking on, the threshold, the classes and Draw line/zone/Clear are all in view
    without scrolling the side bar, and nothing is cut at its edges."""
    size = (1280, 800)
    w = open_window(qtbot, str(need(BOTTLE_CLIP)), tmp_path / ("deep/" * 12), size=size)
    try:
        qtbot.waitUntil(lambda: w.view.frames_shown >= 3, timeout=WAIT)
        w.tracking.track.setChecked(True)
        w.side.record.setChecked(True)
        qtbot.waitUntil(lambda: w.recording_path is not None, timeout=WAIT)
        name = Path(w.recording_path).name
        qtbot.waitUntil(lambda: "REC" in w.side.record_info.text(), timeout=WAIT)
        assert (
            w.side.record_info.text().endswith(f" · {name}")
            and w.side.record_info.toolTip() == w.recording_path
        )
        settle(qtbot, w, size)
        assert w.side.verticalScrollBar().value() == 0
        classes = w.side.classes
        wanted = {
            "threshold": w.side.threshold,
            "threshold label": w.side.threshold_label,
            "class search": classes.search,
            "class list": classes.list,
            "class summary": classes.summary,
            "record": w.side.record,
            "Draw line": w.tracking.draw_line,
            "Draw zone": w.tracking.draw_zone_button,
            "Clear": w.tracking.clear_line,
        }
        hidden = [name for name, widget in wanted.items() if not in_view(w, widget)]
        bottom = w.tracking.clear_line.mapTo(w.side.viewport(), QPoint(0, w.tracking.clear_line.height())).y()
        assert hidden == [], (
            f"out of view at {size}: {hidden}; Clear ends at {bottom} of {w.side.viewport().height()}"
        )
        rows = classes.list.viewport().height() // max(1, classes.list.sizeHintForRow(0))
        assert rows >= 4, f"only {rows} class rows show"
        for button in (w.tracking.draw_line, w.tracking.draw_zone_button, w.tracking.clear_line):
            text = button.fontMetrics().horizontalAdvance(button.text())
            assert button.width() >= text + 8, (
                f"{button.text()!r} is cut: {button.width()} px for {text} px of text"
            )
    finally:
        w.close()
