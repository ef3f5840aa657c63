"""Tracking in the desktop app on the real model and the shared person clip (Qt offscreen)."""

from __future__ import annotations

import pytest
from conftest import PERSON_CLIP, need
from gui.windows import WAIT, open_window
from PyQt6.QtCore import QPoint, Qt
from PyQt6.QtTest import QTest

from camapp.errors import FieldError
from camapp.gui.settings import Settings, TrackChoices
from camapp.gui.tracking import TRAIL, track_spec
from camapp.gui.video_view import hud_text
from camapp.gui.window import GuiOptions, MainWindow


def test_choices_become_the_sessions_spec():
    assert track_spec(TrackChoices(track=False, line="0,0.5,1,0.5")) is None
    spec = track_spec(TrackChoices(track=True, line="0,0.5,1,0.5"))
    assert spec is not None and spec.enabled and [x.name for x in spec.lines] == ["line"]
    assert spec.lines[0].a == (0.0, 0.5) and spec.lines[0].b == (1.0, 0.5)
    assert track_spec(TrackChoices(track=True, line="garbage")).lines == ()  # a bad saved line is dropped
    both = track_spec(
        TrackChoices(track=True, line="0,0.5,1,0.5", zone="0.1,0.1,0.9,0.1,0.5,0.9", trails=True)
    )
    assert [z.name for z in both.zones] == ["zone"] and both.zones[0].points[2] == (0.5, 0.9)
    assert both.trail == TRAIL == 30 and len(both.lines) == 1
    crossed = track_spec(TrackChoices(track=True, line="0,0.5,1,0.5", zone="0.1,0.1,0.9,0.9,0.9,0.1,0.1,0.9"))
    assert crossed.zones == () and len(crossed.lines) == 1 and crossed.trail == 0  # only the bad zone goes


def test_track_objects_ids_on_the_boxes_a_drawn_line_counts_and_all_persists(qtbot, model_store, tmp_path):
    w = open_window(qtbot, str(need(PERSON_CLIP)), tmp_path)
    qtbot.waitUntil(lambda: w.view.frames_shown >= 3, timeout=WAIT)
    assert w.latest.track is None and w.latest.detections.track_ids is None

    w.tracking.track.setChecked(True)  # live: the session switches the tracker in
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


def click(w: MainWindow, x: float, y: float, button=Qt.MouseButton.LeftButton) -> None:
    r = w.view.image_rect()
    QTest.mouseClick(w.view, button, pos=QPoint(round(r.x() + x * r.width()), round(r.y() + y * r.height())))


def test_a_drawn_zone_and_trails_reach_the_session_show_on_the_video_and_persist(
    qtbot, model_store, tmp_path
):
    from dataclasses import replace

    from PyQt6.QtGui import QColor

    from camapp.gui.video_view import VideoView, qcolor

    Settings().tracking = TrackChoices(track=True)  # tracking on from the start: no restart
    w = open_window(qtbot, str(need(PERSON_CLIP)), tmp_path)
    qtbot.waitUntil(lambda: w.latest is not None and w.latest.track is not None, timeout=WAIT)
    panel = w.tracking

    # Esc, then unticking, cancel a zone being drawn; nothing is set
    panel.draw_zone_button.click()
    assert w.view.zone.active and not panel.draw_line.isChecked()
    click(w, 0.1, 0.1)
    QTest.keyClick(w.view, Qt.Key.Key_Escape)
    assert not panel.draw_zone_button.isChecked() and not w.view.zone.active and w.view.zone.points == []
    panel.draw_zone_button.click()
    click(w, 0.1, 0.1)
    panel.draw_zone_button.click()  # unticked: the corner goes
    assert not w.view.zone.active and w.view.zone.points == []
    panel.draw_zone_button.click()
    click(w, 0.1, 0.1)
    panel.draw_line.click()  # one drawing at a time
    assert not panel.draw_zone_button.isChecked() and not w.view.zone.active and w.view.drawing
    panel.draw_line.click()
    assert w.settings.tracking.zone == "" and panel.zone == ""

    # too few corners, then a crossed polygon, are refused with the spec's reason; right-click
    # undoes, then it closes
    panel.draw_zone_button.click()
    click(w, 0.5, 0.5)
    QTest.mouseDClick(w.view, Qt.MouseButton.LeftButton, pos=w.view.image_rect().center().toPoint())
    QTest.mouseDClick(w.view, Qt.MouseButton.LeftButton, pos=w.view.image_rect().toRect().topLeft())
    assert w.state_label.text() == "Zone not set: a polygon needs at least 3 points, got 2"
    click(w, 0, 0, Qt.MouseButton.RightButton)
    click(w, 0, 0, Qt.MouseButton.RightButton)
    assert w.view.zone.points == [] and w.view.zone.active
    for x, y in ((0.05, 0.05), (0.95, 0.05), (0.05, 0.95), (0.95, 0.95)):
        click(w, x, y)
    click(w, 0.05, 0.05)  # the first corner closes it
    assert w.state_label.text() == "Zone not set: the polygon crosses itself (edges 2 and 4)"
    assert w.view.zone.active and w.settings.tracking.zone == ""
    click(w, 0, 0, Qt.MouseButton.RightButton)
    click(w, 0, 0, Qt.MouseButton.RightButton)
    click(w, 0.95, 0.95)
    QTest.mouseDClick(w.view, Qt.MouseButton.LeftButton, pos=w.view.image_rect().toRect().bottomLeft())
    assert "Zone set" in w.state_label.text() and not w.view.zone.active
    assert not panel.draw_zone_button.isChecked()
    zone = w.settings.tracking.zone
    pts = [float(v) for v in zone.split(",")]
    expected = [0.05, 0.05, 0.95, 0.05, 0.95, 0.95, 0.0, 1.0]
    assert len(pts) == 8 and all(abs(a - b) < 0.01 for a, b in zip(pts, expected)), zone
    qtbot.waitUntil(lambda: [z.name for z in w.session.core.tracking.zones] == ["zone"], timeout=WAIT)
    live_zone = w.session.core.tracking.zones[0].points
    assert live_zone[1] == (pts[2], pts[3])
    # live: the running stage has it, and who is inside shows in the heads-up line
    qtbot.waitUntil(lambda: "zone: 1 inside" in hud_text(w.latest.stats, w.latest.track), timeout=WAIT)
    assert [z.name for z in w.latest.track.zones] == ["zone"] and "zone: 1 inside" in w.view._hud

    # trails: the spec asks for 30 positions, the results carry them and the view draws them
    assert w.session.core.tracking.trail == 0 and not w.latest.track.trails
    panel.trails.setChecked(True)
    qtbot.waitUntil(lambda: w.session.core.tracking.trail == TRAIL, timeout=WAIT)
    assert w.session.core.tracking.zones  # the zone stays

    def long_trail():
        r = w.latest
        trails = r.track.trails if r is not None and r.track is not None else {}
        ids = r.detections.track_ids.tolist() if r is not None and r.detections.track_ids is not None else []
        for tid, pts in trails.items():
            if (
                tid in ids
                and len(pts) >= 10
                and abs(pts[-1][1] - pts[0][1]) + abs(pts[-1][0] - pts[0][0]) > 40
            ):
                return r, tid
        return None

    qtbot.waitUntil(lambda: long_trail() is not None, timeout=WAIT)  # someone has walked a way
    result, tid = long_trail()
    assert all(len(p) <= TRAIL for p in result.track.trails.values())
    cls = result.detections.class_ids[result.detections.track_ids.tolist().index(tid)]

    def shot(r):  # the result as the window's view paints it, held still for reading pixels
        v = VideoView()
        qtbot.addWidget(v)
        v.resize(w.view.size())
        v.show_result(r)
        return v, v.grab().toImage()

    v, with_trail = shot(result)
    _, without = shot(replace(result, track=replace(result.track, trails={})))
    rect, scale = v.image_rect(), v.image_rect().width() / result.frame.width
    color = qcolor(int(cls))
    pts = result.track.trails[tid]
    changed = 0
    for (x0, y0), (x1, y1) in zip(pts[-6:-1], pts[-5:]):  # the newest, most opaque part
        x, y = rect.x() + (x0 + x1) / 2 * scale, rect.y() + (y0 + y1) / 2 * scale
        a, b = QColor(with_trail.pixel(round(x), round(y))), QColor(without.pixel(round(x), round(y)))
        near = abs(a.red() - color.red()) + abs(a.green() - color.green()) + abs(a.blue() - color.blue())
        changed += a != b and near < 120
    assert changed >= 3, f"trail of #{tid} not painted in its class colour at {pts[-6:]}"

    # all of it persists
    w.close()
    again = MainWindow(Settings(), GuiOptions())
    qtbot.addWidget(again)
    assert again.tracking.zone == zone and again.tracking.trails.isChecked()
    qtbot.waitUntil(lambda: again.session.core.tracking is not None, timeout=WAIT)
    spec = again.session.core.tracking
    assert spec.trail == TRAIL and spec.zones[0].points == live_zone
    again.tracking.clear_line.click()  # Clear takes the zone (and a line) away
    assert again.settings.tracking.zone == "" and again.tracking.info.text() == "No line or zone"
    qtbot.waitUntil(lambda: again.session.core.tracking.zones == (), timeout=WAIT)
    again.close()


def test_choices_round_trip_through_the_sessions_spec():
    from camapp.gui.tracking import choices_of

    mine = TrackChoices(
        track=True, line="0.100,0.500,0.900,0.500", zone="0.100,0.100,0.500,0.100,0.500,0.900", trails=True
    )
    assert choices_of(track_spec(mine)) == mine
    assert choices_of(None) == TrackChoices()


def test_a_refused_drawing_is_named_by_the_control_not_the_flag():
    from camapp.gui.tracking import refusal
    from camapp.session.forms import drawn_line, drawn_zone

    with pytest.raises(FieldError) as line:
        drawn_line([(0.5, 0.5), (0.5, 0.505)])
    assert refusal(line.value) == "Line not set: its two points are the same"
    with pytest.raises(FieldError) as zone:
        drawn_zone([(0.1, 0.1), (0.9, 0.1), (1.2, 0.9)])
    assert (
        refusal(zone.value)
        == "Zone not set: coordinates must be between 0 and 1 (fractions of the frame), got 1.2"
    )


def test_a_line_too_short_to_count_is_refused_where_it_was_drawn(qtbot, tmp_path):
    """The view's drag hands over the ends; the window says why in the control's words and keeps
    drawing (no session or source needed: the check is the spec's)."""
    w = MainWindow(Settings(), GuiOptions(source=None))
    qtbot.addWidget(w)
    w.tracking.track.setChecked(True)
    w.tracking.draw_line.setChecked(True)
    w.view.line_drawn.emit((0.5, 0.5, 0.502, 0.5))
    assert w.state_label.text() == "Line not set: its two points are the same"
    assert w.view.drawing and w.tracking.line == "" and w.settings.tracking.line == ""
    w.view.line_drawn.emit((0.1, 0.5, 0.9, 0.5))
    assert not w.view.drawing and w.tracking.line == "0.100,0.500,0.900,0.500"
    assert w.settings.tracking.line == "0.100,0.500,0.900,0.500"


def test_a_refused_track_objects_unticks_itself_and_says_why(qtbot, model_store, tmp_path, monkeypatch):
    """The track extra missing (faked at its one boundary, the tracker's import: scipy is
    installed here): the session refuses, so the box and the settings go back to "off"."""
    import camapp.track
    from camapp.errors import CamappError

    def missing(*_a, **_k):
        raise CamappError("tracking needs the 'track' extra (scipy): pip install 'camapp[track]'")

    monkeypatch.setattr(camapp.track, "open_tracker", missing)
    w = open_window(qtbot, str(need(PERSON_CLIP)), tmp_path)
    qtbot.waitUntil(lambda: w.view.frames_shown >= 2, timeout=WAIT)
    w.tracking.track.setChecked(True)
    qtbot.waitUntil(lambda: not w.tracking.track.isChecked(), timeout=WAIT)
    assert "Tracking not changed: tracking needs the 'track' extra" in w.state_label.text()
    assert w.settings.tracking.track is False and w.session.core.tracking is None
    assert not w.tracking.draw_line.isEnabled()
    w.close()
