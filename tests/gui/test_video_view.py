"""The video view paints boxes, tags and the HUD where a person can read all of them."""

from __future__ import annotations

import numpy as np
from PyQt6.QtGui import QColor, QImage

from camapp.gui.video_view import VideoView, qcolor
from camapp.pipeline import Result, Stats
from camapp.types import Detections, Frame


def shown(qtbot, result: Result) -> tuple[VideoView, QImage]:
    """A 640x360 view showing `result`, and what it painted."""
    view = VideoView()
    qtbot.addWidget(view)
    view.resize(640, 360)
    view.show()
    view.show_result(result)
    return view, view.grab().toImage()


def test_a_tag_at_the_top_edge_is_not_hidden_by_the_hud(qtbot):
    image = np.full((360, 640, 3), 200, np.uint8)
    dets = Detections([[0, 0, 200, 150]], [0.9], [62], ["x"] * 62 + ["tv"])
    stats = Stats(inference_fps=10.0, infer_ms=17.5, input_size=300, state="running")
    view, shot = shown(qtbot, Result(Frame(image, 0.0, 0), dets, stats))
    tag = qcolor(62)

    def is_tag(x: int, y: int) -> bool:
        c = QColor(shot.pixel(x, y))
        return abs(c.red() - tag.red()) + abs(c.green() - tag.green()) + abs(c.blue() - tag.blue()) < 30

    # The tag's fill shows in the top-left corner of the picture, where a top HUD used to cover it.
    assert sum(is_tag(x, y) for x in range(8, 60) for y in range(2, 14)) > 200
    # The HUD is still painted: a dark band near the bottom-left corner of the picture.
    dark = QColor(shot.pixel(14, view.height() - 20))
    assert dark.red() < 150


def _luma(shot, x0: int, y0: int, x1: int, y1: int) -> np.ndarray:
    values = [QColor(shot.pixel(x, y)).lightness() for y in range(y0, y1) for x in range(x0, x1)]
    return np.array(values)


def _paused_on(qtbot, image: np.ndarray) -> tuple:
    stats = Stats(inference_fps=10.0, infer_ms=17.5, input_size=300, state="running")
    view, _ = shown(qtbot, Result(Frame(image, 0.0, 0), Detections.empty(), stats))
    view.set_message("Paused", "Press Space to resume", dim=False)  # as the window does when paused
    return view, view.grab().toImage()


def test_paused_overlay_is_readable_on_a_light_picture(qtbot, image):
    """White text sits on a dark panel, so "Paused" reads on a white wall as on a dark room."""
    import cv2

    frames = [np.full((360, 640, 3), 255, np.uint8), cv2.resize(image("cat.bmp"), (640, 360))]
    for frame in frames:
        view, shot = _paused_on(qtbot, frame)
        cx, cy = view.width() // 2, view.height() // 2
        around = _luma(shot, cx - 60, cy - 30, cx + 60, cy + 30)  # where "Paused" and its detail are
        assert np.median(around) < 80, "the text's background should be dark"
        assert around.max() > 220, "the text itself should be bright"
        # The picture itself is not dimmed while paused: a corner keeps its own brightness.
        corner = _luma(shot, 5, 5, 25, 25)
        expected = QColor(*frame[5:25, 5:25].mean(axis=(0, 1))[::-1].astype(int)).lightness()
        assert abs(np.median(corner) - expected) < 25


def test_a_long_message_wraps_inside_the_view(qtbot):
    """A download error with a long URL wraps instead of running off both sides."""
    view = VideoView()
    qtbot.addWidget(view)
    view.resize(480, 300)
    view.show()
    url = "https://storage.googleapis.com/download.tensorflow.org/models/tflite/" + "x" * 80 + ".zip"
    view.set_message(f"Download failed: download of {url} failed", "Run camapp models fetch")
    shot = view.grab().toImage()
    bright_rows = [
        y for y in range(view.height()) if _luma(shot, 24, y, view.width() - 24, y + 1).max() > 200
    ]
    # several lines of text, all inside the 24 px margins
    assert bright_rows[-1] - bright_rows[0] > 60
    for x in (*range(0, 20), *range(view.width() - 20, view.width())):
        assert _luma(shot, x, 0, x + 1, view.height()).max() < 100


def test_a_trail_is_drawn_in_its_boxs_class_colour_fading_to_the_oldest_point(qtbot):
    """Trails are source pixels, mapped like the boxes: a 1280x720 frame shown at half size."""
    from camapp.track import TrackInfo

    image = np.full((720, 1280, 3), 40, np.uint8)
    dets = Detections([[900, 500, 1100, 700]], [0.9], [0], ("person",), track_ids=np.array([7]))
    trail = tuple((200.0 + 25 * i, 300.0) for i in range(31))  # x 200 -> 950 along y 300
    info = TrackInfo(trails={7: trail})
    view, shot = shown(qtbot, Result(Frame(image, 0.0, 0), dets, Stats(state="running"), info))
    person = qcolor(0)

    def redness(x: float) -> int:  # source x on the trail's row -> how much of the colour shows
        colors = [QColor(shot.pixel(round(x / 2), y)) for y in (149, 150, 151)]
        return max(c.red() - c.green() for c in colors)

    assert view.image_rect().width() == 640
    newest = QColor(shot.pixel(470, 150))
    assert abs(newest.red() - person.red()) + abs(newest.green() - person.green()) < 40  # solid
    assert redness(900) > 150 and redness(250) < 40  # new: the class colour; old: nearly gone
    assert redness(900) > redness(700) > redness(450) > redness(250)  # fading all the way
    assert QColor(shot.pixel(50, 150)).red() < 60 and QColor(shot.pixel(100, 180)).red() < 60  # only there


def _lines(layout) -> list[str]:
    """The text of each laid-out line, without the invisible break controls."""
    text = layout.text()
    return [
        text[line.textStart() : line.textStart() + line.textLength()]
        .replace("\u2060", "")
        .replace("\u2028", "")
        for line in (layout.lineAt(i) for i in range(layout.lineCount()))
    ]


def test_a_message_wraps_between_words_and_breaks_only_a_word_too_long_for_a_line(qtbot):
    """The Pi camera's install hint on a narrow window: every word stays whole (it used to read
    "Raspber" / "ry Pi OS"); a URL wider than the view still breaks, inside the width."""
    from PyQt6.QtGui import QFont

    from camapp.gui.video_view import wrapped
    from camapp.hw.picam import INSTALL_HINT

    view = VideoView()
    qtbot.addWidget(view)
    font = QFont(view.font())
    font.setPointSizeF(11)
    for width in (180.0, 260.0, 420.0):
        layout, widest, height = wrapped(INSTALL_HINT, font, width)
        lines = _lines(layout)
        assert len(lines) >= 2 and "".join(lines) == INSTALL_HINT
        assert all(word in INSTALL_HINT.split() for line in lines for word in line.split()), lines
        assert 0 < widest <= width and height > 0
    url = "https://storage.googleapis.com/" + "x" * 120 + ".zip"
    layout, widest, _ = wrapped(url, font, 260.0)
    assert layout.lineCount() > 1 and widest <= 260.0
    layout, _, _ = wrapped("Source error\nno such file", font, 400.0)
    assert layout.lineCount() == 2  # a newline in the text still breaks the line
