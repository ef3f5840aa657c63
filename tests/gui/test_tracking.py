"""Tracking in the desktop app on the real model and the shared person clip (Qt offscreen)."""

from __future__ import annotations

from conftest import PERSON_CLIP, need
from PyQt6.QtCore import QPoint, Qt
from PyQt6.QtTest import QTest

from camapp.gui.settings import Settings, TrackChoices
from camapp.gui.tracking import track_spec
from camapp.gui.video_view import hud_text
from camapp.gui.window import GuiOptions, MainWindow

WAIT = 90_000  # ms


def test_choices_become_the_sessions_spec():
    assert track_spec(TrackChoices(track=False, line="0,0.5,1,0.5")) is None
    spec = track_spec(TrackChoices(track=True, line="0,0.5,1,0.5"))
    assert spec is not None and spec.enabled and [x.name for x in spec.lines] == ["line"]
    assert spec.lines[0].a == (0.0, 0.5) and spec.lines[0].b == (1.0, 0.5)
    assert track_spec(TrackChoices(track=True, line="garbage")).lines == ()  # a bad saved line is dropped


def test_track_objects_ids_on_the_boxes_a_drawn_line_counts_and_all_persists(qtbot, model_store, tmp_path):
    w = MainWindow(Settings(), GuiOptions(source=str(need(PERSON_CLIP))))
    w.output_override = tmp_path / "out"
    qtbot.addWidget(w)
    w.show()
    w.start()
    qtbot.waitUntil(lambda: w.view.frames_shown >= 3, timeout=WAIT)
    assert w.latest.track is None and w.latest.detections.track_ids is None

    w.tracking.track.setChecked(True)  # the session restarts the source with the tracker
    qtbot.waitUntil(
        lambda: w.latest.track is not None and len(w.latest.detections) > 0, timeout=WAIT
    )  # a person walks in about 2 s into the clip
    dets = w.view.drawn
    assert dets is not None and dets.track_ids is not None
    qtbot.waitUntil(lambda: any(t >= 0 for t in w.view.drawn.track_ids), timeout=WAIT)
    assert w.settings.tracking.track is True

    # draw a counting line across the middle with the mouse
    w.tracking.draw_line.click()
    assert w.view.drawing
    r = w.view.image_rect()
    y = int(r.top() + r.height() * 0.65)
    a, b = QPoint(int(r.left()) + 2, y), QPoint(int(r.right()) - 2, y)
    QTest.mousePress(w.view, Qt.MouseButton.LeftButton, pos=a)
    QTest.mouseMove(w.view, b)
    QTest.mouseRelease(w.view, Qt.MouseButton.LeftButton, pos=b)
    line = w.settings.tracking.line
    x0, y0, x1, y1 = (float(v) for v in line.split(","))
    assert x0 < 0.02 and x1 > 0.98 and abs(y0 - 0.65) < 0.02 and abs(y1 - 0.65) < 0.02
    assert not w.view.drawing
    qtbot.waitUntil(lambda: [x.name for x in w.latest.track.lines] == ["line"], timeout=WAIT)  # live
    assert "line: " in hud_text(w.latest.stats, w.latest.track)
    status = w.session.core.status()
    assert status["tracking"]["lines"][0]["name"] == "line" and "line" in status["tracking"]["counts"]
    w.close()

    again = MainWindow(Settings(), GuiOptions())
    qtbot.addWidget(again)
    assert again.tracking.track.isChecked() and again.tracking.line == line
    qtbot.waitUntil(lambda: again.session.core.tracking is not None, timeout=WAIT)
    spec = again.session.core.tracking
    assert spec.enabled and spec.lines[0].a == (x0, y0)
    again.close()
