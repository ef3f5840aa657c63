"""The video area: the newest frame, aspect ratio kept, with boxes, labels and a HUD on top.

Boxes are painted with QPainter in widget coordinates rather than burnt into the frame, so
labels stay sharp at any window size and on HiDPI screens (Qt maps logical to device pixels).
Only the latest result is kept; repaints coalesce, so a slow paint never builds a backlog.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from PyQt6.QtCore import QEvent, QPointF, QRectF, QSize, Qt, pyqtSignal
from PyQt6.QtGui import (
    QColor,
    QFont,
    QFontMetricsF,
    QImage,
    QKeyEvent,
    QMouseEvent,
    QPainter,
    QPaintEvent,
    QPen,
    QPolygonF,
    QTextLayout,
    QTextOption,
)
from PyQt6.QtWidgets import QSizePolicy, QWidget

from camapp.gui.zone_draw import ZoneDrawer
from camapp.render import class_color, tag_text
from camapp.types import Detections

BACKGROUND = QColor(24, 24, 28)
LINE_COLOR = QColor(255, 220, 0)  # counting lines and zones: one color apart from every class


def to_qimage(image: np.ndarray) -> QImage:
    """Wrap a C-contiguous BGR uint8 frame without copying (the caller keeps it alive)."""
    h, w = image.shape[:2]
    return QImage(image.data, w, h, int(image.strides[0]), QImage.Format.Format_BGR888)


def qcolor(class_id: int) -> QColor:
    b, g, r = class_color(class_id)
    return QColor(r, g, b)


class VideoView(QWidget):
    """Shows one `Result` at a time (frame + detections + stats) or a full-size message.

    With `drawing` on, a press-drag-release on the picture draws a counting line: `line_drawn`
    gets its ends in 0-1 coordinates of the frame (x0, y0, x1, y1). With `draw_zone(True)`,
    clicks place a polygon's vertices (`camapp.gui.zone_draw`): `zone_drawn` gets its points in
    0-1 coordinates when it is closed, `zone_cancelled` fires on Esc; another purpose (a motion
    mask) passes its own callbacks. `painters` draw more over the picture (the motion masks).
    """

    line_drawn = pyqtSignal(object)
    zone_drawn = pyqtSignal(object)
    zone_cancelled = pyqtSignal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setMinimumSize(320, 180)
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent)
        self._array: np.ndarray | None = None
        self._image: QImage | None = None
        self._dets: Detections | None = None
        self._hud = ""
        self._message = ""
        self._detail = ""
        self._dim = False
        self._track: Any = None  # the result's TrackInfo: lines, zones, counts
        self.drawing = False
        self._drag: tuple[QPointF, QPointF] | None = None  # the line being drawn, widget coords
        self.zone = ZoneDrawer(
            self.normalized, self.image_rect, self.zone_drawn.emit, self.zone_cancelled.emit
        )
        self.painters: list[Callable[[QPainter, QRectF], None]] = []  # (painter, picture rect)
        self.frames_shown = 0

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt API
        return QSize(960, 540)

    # --- what to show ---------------------------------------------------------------------------
    def show_result(self, result: Any) -> None:
        frame = result.frame
        img = frame.image if frame.image.flags.c_contiguous else np.ascontiguousarray(frame.image)
        self._array = img  # the QImage below borrows this buffer
        self._image = to_qimage(img)
        self._dets = result.detections
        self._track = getattr(result, "track", None)
        self._hud = hud_text(result.stats, self._track)
        self.frames_shown += 1
        self.update()

    def set_message(self, message: str, detail: str = "", *, dim: bool = True) -> None:
        """A state line over the picture (or alone when there is none); '' clears it."""
        self._message, self._detail, self._dim = message, detail, dim
        self.update()

    def clear_frame(self) -> None:
        self._array = self._image = self._dets = self._track = None
        self._hud = ""
        self.update()

    @property
    def message(self) -> str:
        return self._message

    @property
    def drawn(self) -> Detections | None:
        """The detections painted on the current picture (what a person sees)."""
        return self._dets

    @property
    def has_frame(self) -> bool:
        return self._image is not None

    def image_rect(self) -> QRectF:
        """Where the frame lands in the widget: as large as fits, aspect ratio kept, centered."""
        if self._image is None:
            return QRectF()
        iw, ih = self._image.width(), self._image.height()
        scale = min(self.width() / iw, self.height() / ih)
        w, h = iw * scale, ih * scale
        return QRectF((self.width() - w) / 2, (self.height() - h) / 2, w, h)

    # --- painting -------------------------------------------------------------------------------
    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 - Qt API
        p = QPainter(self)
        p.fillRect(self.rect(), BACKGROUND)
        if self._image is not None:
            target = self.image_rect()
            p.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
            p.drawImage(target, self._image)
            p.setRenderHint(QPainter.RenderHint.Antialiasing)
            for paint in self.painters:
                paint(p, target)
            if self._track is not None or self._drag is not None or self.zone.points:
                self._paint_regions(p, target)
            if self._track is not None and self._track.trails:
                self._paint_trails(p, target, target.width() / self._image.width())
            if self._dets is not None and len(self._dets):
                self._paint_boxes(p, target, target.width() / self._image.width())
            if self._hud:
                self._paint_hud(p, target)
        if self._message:
            self._paint_message(p)
        p.end()

    def _paint_boxes(self, p: QPainter, target: QRectF, scale: float) -> None:
        dets = self._dets
        assert dets is not None
        font = QFont(self.font())
        font.setPointSizeF(max(8.0, min(13.0, target.height() / 45)))
        font.setBold(True)
        p.setFont(font)
        fm = QFontMetricsF(font)
        pen_w = max(2.0, target.height() / 270)
        for i in range(len(dets)):
            x0, y0, x1, y1 = (float(v) * scale for v in dets.boxes[i])
            rect = QRectF(target.x() + x0, target.y() + y0, x1 - x0, y1 - y0)
            color = qcolor(int(dets.class_ids[i]))
            p.setPen(QPen(color, pen_w))
            p.setBrush(Qt.BrushStyle.NoBrush)
            p.drawRect(rect)
            text = tag_text(dets, i)
            tw, th = fm.horizontalAdvance(text) + 8, fm.height() + 2
            ty = rect.top() - th if rect.top() - th >= target.top() else rect.top()
            tag = QRectF(rect.left() - pen_w / 2, ty, tw, th)
            p.fillRect(tag, color)
            p.setPen(QColor(0, 0, 0))
            p.drawText(tag, Qt.AlignmentFlag.AlignCenter, text)

    def _paint_regions(self, p: QPainter, target: QRectF) -> None:
        """Counting lines (with their name) and zones, in 0-1 frame coordinates; the line being
        drawn, dashed."""

        def at(x: float, y: float) -> QPointF:
            return QPointF(target.x() + x * target.width(), target.y() + y * target.height())

        pen_w = max(2.0, target.height() / 220)
        p.setBrush(Qt.BrushStyle.NoBrush)
        font = QFont(self.font())
        font.setPointSizeF(max(8.0, min(12.0, target.height() / 50)))
        font.setBold(True)
        p.setFont(font)
        track = self._track
        for line in track.lines if track is not None else ():
            a, b = at(*line.a), at(*line.b)
            p.setPen(QPen(LINE_COLOR, pen_w))
            p.drawLine(a, b)
            self._paint_name(p, a, line.name)
        for zone in track.zones if track is not None else ():
            p.setPen(QPen(LINE_COLOR, pen_w, Qt.PenStyle.DotLine))
            p.setBrush(Qt.BrushStyle.NoBrush)
            p.drawPolygon(QPolygonF([at(*pt) for pt in zone.points]))
            self._paint_name(p, at(*zone.points[0]), zone.name)
        if self._drag is not None:
            p.setPen(QPen(LINE_COLOR, pen_w, Qt.PenStyle.DashLine))
            p.drawLine(*self._drag)
        self.zone.paint(p, LINE_COLOR, pen_w)

    def _paint_name(self, p: QPainter, at: QPointF, name: str) -> None:
        """A region's name just above `at`, yellow on a dark tag: readable on a white wall too."""
        fm = QFontMetricsF(p.font())
        tag = QRectF(at.x() + 4, at.y() - fm.height() - 6, fm.horizontalAdvance(name) + 8, fm.height() + 2)
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(QColor(0, 0, 0, 150))
        p.drawRoundedRect(tag, 3, 3)
        p.setPen(LINE_COLOR)
        p.drawText(tag, Qt.AlignmentFlag.AlignCenter, name)
        p.setBrush(Qt.BrushStyle.NoBrush)

    def _paint_trails(self, p: QPainter, target: QRectF, scale: float) -> None:
        """Each object's last positions (source pixels, like the boxes) as a polyline in its box's
        class colour, fading from transparent (oldest) to solid (newest)."""
        dets, track = self._dets, self._track
        ids = dets.track_ids.tolist() if dets is not None and dets.track_ids is not None else []
        classes = dict(zip(ids, dets.class_ids.tolist())) if dets is not None and ids else {}
        pen_w = max(2.5, target.height() / 180)  # a little over the boxes' width: it reads on any scene
        for tid, pts in track.trails.items():
            if len(pts) < 2:
                continue
            color = qcolor(classes[tid]) if tid in classes else qcolor(tid * 7 + 3)  # as render.py
            xy = [QPointF(target.x() + x * scale, target.y() + y * scale) for x, y in pts]
            n = len(xy) - 1
            for i in range(n):
                color.setAlpha(round(255 * (i + 1) / n))
                p.setPen(QPen(color, pen_w, cap=Qt.PenCapStyle.RoundCap))
                p.drawLine(xy[i], xy[i + 1])

    # --- drawing a counting line ----------------------------------------------------------------
    def normalized(self, pos: QPointF) -> tuple[float, float] | None:
        """A widget point as 0-1 coordinates of the frame; None off the picture."""
        r = self.image_rect()
        if r.isEmpty() or not r.adjusted(-1, -1, 1, 1).contains(pos):
            return None
        x, y = (pos.x() - r.x()) / r.width(), (pos.y() - r.y()) / r.height()
        return min(max(x, 0.0), 1.0), min(max(y, 0.0), 1.0)

    def draw_zone(
        self,
        on: bool,
        purpose: str = "zone",
        on_closed: Callable[[list[tuple[float, float]]], None] | None = None,
        on_cancel: Callable[[], None] | None = None,
    ) -> None:
        """Start (or cancel) placing a polygon's vertices for `purpose`; the mouse is followed
        without a button. Cancelling leaves a polygon drawn for another purpose alone."""
        if on and not (self.zone.active and self.zone.purpose == purpose):
            self.zone.start(purpose, on_closed, on_cancel)
            self.setFocus(Qt.FocusReason.OtherFocusReason)  # for Esc
        elif not on and self.zone.purpose == purpose:
            self.zone.stop()
        self.setMouseTracking(self.zone.active)
        self.update()

    def event(self, event: QEvent | None) -> bool:
        # Esc is also the window's "leave full screen": while a zone is drawn it cancels that
        if (
            event is not None
            and event.type() == QEvent.Type.ShortcutOverride
            and self.zone.active
            and isinstance(event, QKeyEvent)
            and event.key() == Qt.Key.Key_Escape
        ):
            event.accept()
            return True
        return super().event(event)

    def keyPressEvent(self, event: QKeyEvent | None) -> None:  # noqa: N802 - Qt API
        if event is not None and self.zone.active and self.zone.key(event):
            self.update()
            return
        super().keyPressEvent(event)

    def mouseDoubleClickEvent(self, event: QMouseEvent | None) -> None:  # noqa: N802 - Qt API
        if event is not None and self.zone.active and self.zone.double_click(event):
            self.update()
            return
        super().mouseDoubleClickEvent(event)

    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: N802 - Qt API
        pos = event.position()
        if self.zone.active and self.zone.press(event):
            self.update()
        elif self.drawing and event.button() == Qt.MouseButton.LeftButton and self.normalized(pos):
            self._drag = (pos, pos)
            self.update()
        else:
            super().mousePressEvent(event)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:  # noqa: N802 - Qt API
        if self.zone.active:
            self.zone.move(event)
            self.update()
        elif self._drag is not None:
            self._drag = (self._drag[0], self._clamped(event.position()))
            self.update()

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:  # noqa: N802 - Qt API
        if self._drag is None:
            return super().mouseReleaseEvent(event)
        start, self._drag = self._drag[0], None
        self.update()
        a, b = self.normalized(start), self.normalized(self._clamped(event.position()))
        if a is not None and b is not None:
            self.line_drawn.emit((*a, *b))

    def _clamped(self, pos: QPointF) -> QPointF:
        """`pos` moved onto the picture: a drag may end past its edge."""
        r = self.image_rect()
        return QPointF(min(max(pos.x(), r.left()), r.right()), min(max(pos.y(), r.top()), r.bottom()))

    def _paint_hud(self, p: QPainter, target: QRectF) -> None:
        font = QFont(self.font())
        font.setPointSizeF(10)
        p.setFont(font)
        fm = QFontMetricsF(font)
        w, h = fm.horizontalAdvance(self._hud) + 14, fm.height() + 8
        # bottom left: tags sit above their boxes, so a top HUD would hide those at the top edge
        box = QRectF(target.left() + 8, target.bottom() - 8 - h, w, h)
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(QColor(0, 0, 0, 160))
        p.drawRoundedRect(box, 5, 5)
        p.setPen(QColor(235, 235, 235))
        p.drawText(box, Qt.AlignmentFlag.AlignCenter, self._hud)

    def _paint_message(self, p: QPainter) -> None:
        """The state line and its detail, wrapped to the width, on a dark panel over a picture.

        The panel keeps white text readable on a light picture (a white wall, a sunlit scene),
        also when the picture is not dimmed (Paused). Lines break between words; only a word
        wider than the view by itself (a URL) breaks inside.
        """
        if self._image is not None and self._dim:
            p.fillRect(self.rect(), QColor(0, 0, 0, 150))
        big = QFont(self.font())
        big.setPointSizeF(16)
        big.setBold(True)
        small = QFont(self.font())
        small.setPointSizeF(11)
        width = max(40.0, self.width() - 48.0)
        head, head_w, head_h = wrapped(self._message, big, width)
        body, body_w, body_h = wrapped(self._detail, small, width) if self._detail else (None, 0.0, 0.0)
        gap = QFontMetricsF(big).height() * 0.4 if self._detail else 0.0
        total = head_h + gap + body_h
        top = max(8.0, self.height() / 2 - total / 2)
        if self._image is not None:
            pad = 14.0
            panel_w = min(self.width() - 16.0, max(head_w, body_w) + 2 * pad)
            panel = QRectF((self.width() - panel_w) / 2, top - pad, panel_w, total + 2 * pad)
            p.setPen(Qt.PenStyle.NoPen)
            p.setBrush(QColor(0, 0, 0, 190))
            p.drawRoundedRect(panel, 8, 8)
        p.setPen(QColor(245, 245, 245))
        head.draw(p, QPointF(24, top))
        if body is not None:
            p.setPen(QColor(210, 210, 210))
            body.draw(p, QPointF(24, top + head_h + gap))

    def center(self) -> QPointF:
        return QRectF(self.rect()).center()


def wrapped(text: str, font: QFont, width: float) -> tuple[QTextLayout, float, float]:
    """`text` laid out in lines of `width`, centred: (layout, widest line, height). Lines break
    at spaces, not at hyphens; a word wider than a whole line (a URL, a path) breaks where it
    must. Qt's `TextWrapAnywhere` flag would break every line mid-word ("Raspber" / "ry Pi OS")."""
    # a newline becomes a line separator (a forced break); a word joiner after each hyphen keeps
    # `python3-picamera2` and `--system-site-packages` whole, as a person would copy them
    layout = QTextLayout(text.replace("\n", "\u2028").replace("-", "-\u2060"), font)
    option = QTextOption(Qt.AlignmentFlag.AlignHCenter)
    option.setWrapMode(QTextOption.WrapMode.WrapAtWordBoundaryOrAnywhere)
    layout.setTextOption(option)
    layout.beginLayout()
    y = widest = 0.0
    while True:
        line = layout.createLine()
        if not line.isValid():
            break
        line.setLineWidth(width)
        line.setPosition(QPointF(0.0, y))
        y += line.height()
        widest = max(widest, line.naturalTextWidth())
    layout.endLayout()
    return layout, widest, y


def hud_text(stats: Any, track: Any = None) -> str:
    """One line: what the pipeline is achieving right now, then the line counts and who is in
    each zone when tracking (`door: 3 up person`)."""
    if stats is None:
        return ""
    if not getattr(stats, "detecting", True):  # switched off: no rate or time to show
        parts = ["detection off"]
    else:
        parts = [f"{stats.inference_fps:.1f} fps"]
        if stats.input_size:
            parts.append(f"{stats.input_size} px")
        if stats.infer_ms:
            parts.append(f"{stats.infer_ms:.1f} ms")
    motion = getattr(stats, "motion", "")  # under a motion gate: on/off, share of frames skipped
    if motion:
        skipped = f", {100 * stats.predicted / stats.frames:.0f}% skipped" if stats.frames else ""
        parts.append(f"motion {motion}{skipped}")
    counts = track.summary() if track is not None else ""
    if counts:
        parts.append(counts)
    return "  ·  ".join(parts)
