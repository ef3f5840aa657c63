"""Motion masks in the desktop app on the real model and the shared person clip (Qt offscreen):
drawn with the mouse on the video like the zone, kept while motion is off and applied when it is
on (motion inside a mask is no motion), saved in the settings file and restored at the next start."""

from __future__ import annotations

from conftest import PERSON_CLIP, need
from gui.windows import WAIT, open_window
from PyQt6.QtCore import QPoint, Qt
from PyQt6.QtTest import QTest

from camapp.gui.motion import MotionChoices, load_choices, motion_spec, saved_masks
from camapp.gui.settings import Settings, TrackChoices
from camapp.gui.window import GuiOptions, MainWindow
from camapp.session import TrackSpec

WHOLE = ((0.0, 0.0), (1.0, 0.0), (1.0, 1.0), (0.0, 1.0))
WALK = 130  # the clip's frame by which the first person has walked for 7 s
CORNER = [(0.05, 0.05), (0.3, 0.05), (0.3, 0.25)]  # a corner of the room: the second mask


def test_saved_masks_that_no_longer_parse_are_dropped():
    assert saved_masks("") == []
    assert saved_masks("0,0,0.5,0,0.5,0.5;;0,0,1;0,0,2,0,2,2") == ["0,0,0.5,0,0.5,0.5"]
    spec = motion_spec(MotionChoices(on=True, masks="0,0,0.5,0,0.5,0.5;0.5,0.5,1,0.5,1,1"))
    assert spec is not None and len(spec.masks) == 2


def test_one_polygon_at_a_time_each_with_its_own_callbacks(qtbot):
    """The view alone: a mask started while a zone is drawn cancels the zone (its box unticks),
    and the other way round; each closed polygon goes to the callbacks of its purpose."""
    import numpy as np

    from camapp.gui.video_view import VideoView
    from camapp.pipeline import Result, Stats
    from camapp.types import Detections, Frame

    v = VideoView()
    qtbot.addWidget(v)
    v.resize(800, 450)
    v.show()
    v.show_result(Result(Frame(np.zeros((432, 768, 3), np.uint8), 0.0, 0), Detections.empty(), Stats()))
    zones, masks, cancelled = [], [], []
    v.zone_drawn.connect(zones.append)
    v.zone_cancelled.connect(lambda: cancelled.append("zone"))

    def draw_mask(on: bool) -> None:
        v.draw_zone(on, "mask", masks.append, lambda: cancelled.append("mask"))

    def triangle() -> None:
        for x, y in [(0.1, 0.1), (0.5, 0.1), (0.5, 0.5)]:
            QTest.mouseClick(v, Qt.MouseButton.LeftButton, pos=at(v, x, y))
        QTest.mouseDClick(v, Qt.MouseButton.LeftButton, pos=at(v, 0.5, 0.5))

    v.draw_zone(True)
    QTest.mouseClick(v, Qt.MouseButton.LeftButton, pos=at(v, 0.2, 0.2))
    draw_mask(True)
    assert cancelled == ["zone"] and v.zone.purpose == "mask" and v.zone.points == [] and v.hasMouseTracking()
    v.draw_zone(False)  # the zone's box unticking leaves the mask under way alone
    assert v.zone.active and v.zone.purpose == "mask"
    triangle()
    assert len(masks) == 1 and zones == [] and len(masks[0]) == 3
    v.draw_zone(True)
    assert cancelled == ["zone", "mask"] and v.zone.purpose == "zone"
    triangle()
    assert len(zones) == 1 and len(masks) == 1
    v.draw_zone(False)
    draw_mask(True)
    QTest.keyClick(v, Qt.Key.Key_Escape)
    assert cancelled == ["zone", "mask", "mask"]
    draw_mask(False)
    assert not v.zone.active and not v.hasMouseTracking()


def at(v, x: float, y: float) -> QPoint:
    r = v.image_rect()
    return QPoint(round(r.x() + x * r.width()), round(r.y() + y * r.height()))


def point(w: MainWindow, x: float, y: float) -> QPoint:
    return at(w.view, x, y)


def click(w: MainWindow, x: float, y: float, button=Qt.MouseButton.LeftButton) -> None:
    QTest.mouseClick(w.view, button, pos=point(w, x, y))


def motion(w: MainWindow) -> dict:
    return w.session.core.status()["motion"] or {}


def test_a_mask_drawn_on_the_video_masks_motion_is_saved_and_restored(qtbot, model_store, tmp_path):
    Settings().tracking = TrackChoices(track=True)  # its Draw line/zone buttons are live
    w = open_window(qtbot, str(need(PERSON_CLIP)), tmp_path)
    qtbot.waitUntil(lambda: w.view.frames_shown >= 3, timeout=WAIT)
    panel = w.motion.panel
    assert not panel.on.isChecked() and panel.info.text() == "No masks" and not panel.clear.isEnabled()

    # Esc cancels a mask under way; the counting line's drag and the zone end it too
    panel.draw.click()
    assert w.view.zone.active and w.view.zone.purpose == "mask"
    click(w, 0.2, 0.2)
    QTest.keyClick(w.view, Qt.Key.Key_Escape)
    assert not panel.draw.isChecked() and not w.view.zone.active and panel.masks == ""
    panel.draw.click()
    w.tracking.draw_zone_button.click()
    assert not panel.draw.isChecked() and w.view.zone.active and w.view.zone.purpose == "zone"
    panel.draw.click()
    assert not w.tracking.draw_zone_button.isChecked() and w.view.zone.purpose == "mask"
    w.tracking.draw_line.click()
    assert not panel.draw.isChecked() and not w.view.zone.active and w.view.drawing
    panel.draw.click()
    assert not w.tracking.draw_line.isChecked() and not w.view.drawing and w.view.zone.active

    # two corners and a double-click: refused with the reason, drawing goes on; right-click undoes
    click(w, 0.5, 0.5)
    QTest.mouseDClick(w.view, Qt.MouseButton.LeftButton, pos=point(w, 0.7, 0.7))
    assert w.state_label.text() == "Mask not set: a mask needs at least 3 points, got 2"
    assert w.view.zone.active and panel.masks == ""
    click(w, 0, 0, Qt.MouseButton.RightButton)
    click(w, 0, 0, Qt.MouseButton.RightButton)
    assert w.view.zone.points == []

    # the whole picture, its corners clicked and closed on the first: kept while motion is off
    for x, y in [*WHOLE, WHOLE[0]]:
        click(w, x, y)
    assert panel.masks == "0,0,1,0,1,1,0,1" and not panel.draw.isChecked() and not w.view.zone.active
    assert w.motion.shown == [WHOLE] and panel.info.text() == "1 mask, used with motion on"
    assert w.state_label.text() == "Mask set: motion inside it is ignored once Detect on motion is on"
    assert w.session.core.motion is None
    assert load_choices(Settings()).masks == "0,0,1,0,1,1,0,1"

    # on: the gate starts with the mask. Unmasked, the first person walking (from about frame 60
    # of the clip, 6 s) is motion on nearly every frame up to 130; masked, none of it is
    panel.on.setChecked(True)
    qtbot.waitUntil(lambda: w.session.core.motion is not None, timeout=WAIT)
    assert [m.points for m in w.session.core.motion.masks] == [WHOLE]
    assert panel.info.text() == "1 mask: motion inside is ignored"
    assert w.latest.frame.index < 50, "the clip went past the walk before the mask applied"
    qtbot.waitUntil(lambda: w.latest.frame.index >= WALK, timeout=WAIT)
    assert motion(w)["starts"] == 0 and not motion(w)["moving"] and motion(w)["skipped"] > 0
    assert len(w.latest.detections) > 0  # the keep-alive detections found the person walking
    panel.clear.click()
    assert panel.masks == "" and w.motion.shown == [] and load_choices(Settings()).masks == ""
    qtbot.waitUntil(lambda: motion(w).get("starts", 0) >= 1, timeout=WAIT)
    assert w.session.core.motion.masks == ()

    # a second mask while motion is on, closed with a double-click: live
    panel.draw.click()
    for x, y in CORNER[:2]:
        click(w, x, y)
    QTest.mouseDClick(w.view, Qt.MouseButton.LeftButton, pos=point(w, *CORNER[2]))
    qtbot.waitUntil(lambda: len(w.session.core.motion.masks) == 1, timeout=WAIT)
    drawn = w.session.core.motion.masks[0].points
    assert all(abs(a - b) < 0.01 for p, q in zip(drawn, CORNER, strict=True) for a, b in zip(p, q))
    saved = panel.masks
    assert saved_masks(saved) == [saved] and load_choices(Settings()) == MotionChoices(on=True, masks=saved)
    w.close()
    ini = Settings().path.read_text()
    assert "[motion]" in ini and "on=true" in ini and saved in ini

    # the next start: the box, the video and the session have the mask again
    again = MainWindow(Settings(), GuiOptions())
    qtbot.addWidget(again)
    assert again.motion.panel.on.isChecked() and again.motion.panel.masks == saved
    assert again.motion.shown == [drawn]
    qtbot.waitUntil(lambda: again.session.core.motion is not None, timeout=WAIT)
    assert [m.points for m in again.session.core.motion.masks] == [drawn]

    # a refusal (regions do not go with a detection region) says why and keeps the masks
    again.session.core.set_tracking(TrackSpec.parse(roi="0,0.05,1,1")).result(timeout=30)
    again.motion.panel.regions.setChecked(True)
    qtbot.waitUntil(lambda: again.state_label.text().startswith("Motion not changed: --motion regions"))
    assert not again.motion.panel.regions.isChecked() and again.motion.panel.masks == saved
    assert load_choices(Settings()) == MotionChoices(on=True, masks=saved)
    assert [m.points for m in again.session.core.motion.masks] == [drawn]
    again.close()
