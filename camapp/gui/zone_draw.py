"""Drawing a polygon (a zone, a motion mask) with the mouse on the video view, vertex by vertex.

Kept out of `VideoView` so the view stays about showing results. Points are held in 0-1
coordinates of the frame, so a resize while drawing keeps them on the same spot of the picture.
The view forwards its mouse and key events here while `active`; whether the polygon is a valid
zone or mask is the session's forms' call (the box that asked parses what `closed` hands it).
One polygon is drawn at a time: starting one for another `purpose` cancels the one under way.
"""

from __future__ import annotations

import math
from collections.abc import Callable

from PyQt6.QtCore import QPointF, QRectF, Qt
from PyQt6.QtGui import QColor, QKeyEvent, QMouseEvent, QPainter, QPen, QPolygonF

Point = tuple[float, float]
CLOSE_PX = 10.0  # a click this near the first point closes the polygon
SAME_PX = 3.0  # a click this near the last point adds nothing (no zero-length edge)


class ZoneDrawer:
    """Left click adds a vertex; a double click, or a click near the first point, closes the
    polygon (`on_closed(points)`); right click removes the last vertex; Esc cancels
    (`on_cancel()`). `normalized` maps a widget point into the frame (None off the picture) and
    `rect` gives where the frame is drawn. The callbacks given here serve the "zone" purpose;
    `start` may give others for one polygon."""

    def __init__(
        self,
        normalized: Callable[[QPointF], Point | None],
        rect: Callable[[], QRectF],
        on_closed: Callable[[list[Point]], None],
        on_cancel: Callable[[], None],
    ) -> None:
        self._normalized = normalized
        self._rect = rect
        self._zone = (on_closed, on_cancel)
        self._on_closed, self._on_cancel = on_closed, on_cancel
        self.purpose = "zone"  # what the polygon under way (or the last one) is for
        self.active = False
        self.points: list[Point] = []
        self.hover: Point | None = None  # where the mouse is: the next edge follows it

    def start(
        self,
        purpose: str = "zone",
        on_closed: Callable[[list[Point]], None] | None = None,
        on_cancel: Callable[[], None] | None = None,
    ) -> None:
        """Begin a polygon for `purpose` (other callbacks than the zone's for another purpose). A
        polygon under way for another purpose is cancelled first: its box unticks its button."""
        if self.active and purpose != self.purpose:
            self._on_cancel()
        if purpose == "zone":
            on_closed, on_cancel = self._zone
        assert on_closed is not None and on_cancel is not None, "a polygon's callbacks"
        self._on_closed, self._on_cancel, self.purpose = on_closed, on_cancel, purpose
        self.active, self.points, self.hover = True, [], None

    def stop(self) -> None:
        self.active, self.points, self.hover = False, [], None

    def _widget(self, pt: Point) -> QPointF:
        r = self._rect()
        return QPointF(r.x() + pt[0] * r.width(), r.y() + pt[1] * r.height())

    def press(self, event: QMouseEvent) -> bool:
        """A press while drawing; True when it was used."""
        pos = event.position()
        if event.button() == Qt.MouseButton.RightButton:
            if self.points:
                self.points.pop()
            return True
        if event.button() != Qt.MouseButton.LeftButton:
            return False
        if len(self.points) >= 3 and _dist(pos, self._widget(self.points[0])) <= CLOSE_PX:
            self._on_closed(list(self.points))
        else:
            self._add(pos)
        return True

    def _add(self, pos: QPointF) -> None:
        """A vertex at `pos`, unless it is off the picture or on the last vertex."""
        pt = self._normalized(pos)
        if pt is not None and (not self.points or _dist(pos, self._widget(self.points[-1])) > SAME_PX):
            self.points.append(pt)

    def double_click(self, event: QMouseEvent) -> bool:
        """Closes the polygon. The first click of a double click added its spot as the last
        vertex already (when nothing sent that press, the spot is added here)."""
        if event.button() != Qt.MouseButton.LeftButton:
            return event.button() == Qt.MouseButton.RightButton and self.press(event)
        self._add(event.position())
        if self.points:
            self._on_closed(list(self.points))
        return True

    def move(self, event: QMouseEvent) -> None:
        self.hover = self._normalized(event.position())

    def key(self, event: QKeyEvent) -> bool:
        if event.key() == Qt.Key.Key_Escape:
            self._on_cancel()
            return True
        return False

    def paint(self, p: QPainter, color: QColor, pen_w: float) -> None:
        """The vertices so far, dashed; the edge to the mouse and back to the first point follow it."""
        if not self.points:
            return
        pts = [self._widget(pt) for pt in self.points]
        pen = QPen(color, pen_w, Qt.PenStyle.DashLine)
        p.setPen(pen)
        p.setBrush(Qt.BrushStyle.NoBrush)
        p.drawPolyline(QPolygonF(pts))
        if self.hover is not None:
            h = self._widget(self.hover)
            p.drawLine(pts[-1], h)
            if len(pts) >= 2:
                pen.setStyle(Qt.PenStyle.DotLine)
                p.setPen(pen)
                p.drawLine(h, pts[0])
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(color)
        for i, pt in enumerate(pts):
            p.drawEllipse(pt, pen_w * (2.5 if i == 0 else 1.6), pen_w * (2.5 if i == 0 else 1.6))


def _dist(a: QPointF, b: QPointF) -> float:
    return math.hypot(a.x() - b.x(), a.y() - b.y())
