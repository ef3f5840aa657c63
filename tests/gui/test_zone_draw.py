"""Drawing a zone with the mouse on the video view, on a real frame of the person clip.

The view alone (no session): the clicks' widget positions must come back as the right 0-1
polygon, and right-click, Esc and clicks off the picture must do what the tooltip says. The
window's part (the TrackSpec check, the session, the settings) is in test_tracking.py.
"""

from __future__ import annotations

import cv2
import pytest
from conftest import PERSON_CLIP, need
from PyQt6.QtCore import QPoint, Qt
from PyQt6.QtTest import QTest

from camapp.gui.video_view import VideoView
from camapp.pipeline import Result, Stats
from camapp.types import Detections, Frame


@pytest.fixture()
def view(qtbot) -> VideoView:
    """A 900x400 view (the 16:9 frame is pillarboxed) showing the clip's 60th frame."""
    cap = cv2.VideoCapture(str(need(PERSON_CLIP)))
    cap.set(cv2.CAP_PROP_POS_FRAMES, 60)
    ok, image = cap.read()
    cap.release()
    assert ok
    v = VideoView()
    qtbot.addWidget(v)
    v.resize(900, 400)
    v.show()
    qtbot.waitExposed(v)
    v.show_result(Result(Frame(image, 0.0, 0), Detections.empty(), Stats(state="running")))
    return v


def at(v: VideoView, x: float, y: float) -> QPoint:
    r = v.image_rect()
    return QPoint(round(r.x() + x * r.width()), round(r.y() + y * r.height()))


def click(v: VideoView, x: float, y: float, button=Qt.MouseButton.LeftButton) -> None:
    QTest.mouseClick(v, button, pos=at(v, x, y))


def drawn(v: VideoView) -> list:
    got: list = []
    v.zone_drawn.connect(got.append)
    return got


def close_to(points, expected, tol=0.01) -> bool:
    return len(points) == len(expected) and all(
        abs(a - b) <= tol for p, q in zip(points, expected) for a, b in zip(p, q)
    )


def yellow_along(shot, a: QPoint, b: QPoint) -> float:
    """The share of 40 points between a and b (ends left out) with the regions' yellow within 2 px."""

    def yellow(x: int, y: int) -> bool:
        c = shot.pixelColor(x, y)
        return c.red() > 200 and c.green() > 170 and c.blue() < 110

    hits = 0
    for i in range(5, 45):
        x, y = a.x() + (b.x() - a.x()) * i / 50, a.y() + (b.y() - a.y()) * i / 50
        hits += any(yellow(round(x) + dx, round(y) + dy) for dx in (-2, 0, 2) for dy in (-2, 0, 2))
    return hits / 40


SQUARE = [(0.2, 0.2), (0.7, 0.25), (0.75, 0.8), (0.15, 0.7)]


def test_clicks_then_a_double_click_give_the_polygon_in_frame_coordinates(qtbot, view):
    r = view.image_rect()
    assert r.x() > 50 and r.y() == 0  # pillarboxed: the widget's and the frame's coordinates differ
    got = drawn(view)
    view.draw_zone(True)
    for x, y in SQUARE[:-1]:
        click(view, x, y)
    assert close_to(view.zone.points, SQUARE[:-1]) and got == []
    QTest.mouseMove(view, at(view, 0.5, 0.5))
    assert view.zone.hover is not None and close_to([view.zone.hover], [(0.5, 0.5)])  # followed
    shot = view.grab().toImage()  # the dashed edges so far are painted in the regions' yellow
    shot.save("/tmp/gz-zone-view.png")
    assert yellow_along(shot, at(view, *SQUARE[0]), at(view, *SQUARE[1])) > 0.3
    QTest.mouseDClick(view, Qt.MouseButton.LeftButton, pos=at(view, *SQUARE[-1]))
    assert len(got) == 1 and close_to(got[0], SQUARE)


def test_a_click_near_the_first_point_closes_and_right_click_undoes(qtbot, view):
    got = drawn(view)
    view.draw_zone(True)
    for x, y in SQUARE:
        click(view, x, y)
    click(view, 0.9, 0.9)
    click(view, 0.9, 0.9, Qt.MouseButton.RightButton)  # takes the stray corner back
    assert close_to(view.zone.points, SQUARE)
    click(view, 0.05, 0.5)  # another stray corner, undone too
    click(view, 0.05, 0.5, Qt.MouseButton.RightButton)
    first = at(view, *SQUARE[0])
    QTest.mouseClick(view, Qt.MouseButton.LeftButton, pos=first + QPoint(4, -3))  # near enough
    assert len(got) == 1 and close_to(got[0], SQUARE)


def test_clicks_off_the_picture_and_on_the_same_spot_add_nothing(qtbot, view):
    view.draw_zone(True)
    QTest.mouseClick(view, Qt.MouseButton.LeftButton, pos=QPoint(10, 200))  # the black side bar
    click(view, 0.3, 0.3)
    QTest.mouseClick(view, Qt.MouseButton.LeftButton, pos=at(view, 0.3, 0.3) + QPoint(1, 1))
    assert close_to(view.zone.points, [(0.3, 0.3)])


def test_escape_cancels_and_only_while_drawing(qtbot, view):
    cancelled: list = []
    view.zone_cancelled.connect(lambda: cancelled.append(True))
    QTest.keyClick(view, Qt.Key.Key_Escape)
    assert cancelled == []
    view.draw_zone(True)
    click(view, 0.3, 0.3)
    QTest.keyClick(view, Qt.Key.Key_Escape)
    assert cancelled == [True]
    view.draw_zone(False)  # what the window does on that signal: the points go
    assert not view.zone.active and view.zone.points == []
    click(view, 0.5, 0.5)
    assert view.zone.points == []  # not drawing: clicks place nothing


def test_a_right_click_with_no_points_and_other_buttons_are_harmless(qtbot, view):
    view.draw_zone(True)
    click(view, 0.5, 0.5, Qt.MouseButton.RightButton)
    click(view, 0.5, 0.5, Qt.MouseButton.MiddleButton)
    assert view.zone.points == [] and view.zone.active
