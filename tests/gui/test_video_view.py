"""The video view paints boxes, tags and the HUD where a person can read all of them."""

from __future__ import annotations

import numpy as np
from PyQt6.QtGui import QColor

from camapp.gui.video_view import VideoView, qcolor
from camapp.pipeline import Result, Stats
from camapp.types import Detections, Frame


def test_a_tag_at_the_top_edge_is_not_hidden_by_the_hud(qtbot):
    view = VideoView()
    qtbot.addWidget(view)
    view.resize(640, 360)
    view.show()
    image = np.full((360, 640, 3), 200, np.uint8)
    dets = Detections([[0, 0, 200, 150]], [0.9], [62], ["x"] * 62 + ["tv"])
    stats = Stats(inference_fps=10.0, infer_ms=17.5, input_size=300, state="running")
    view.show_result(Result(Frame(image, 0.0, 0), dets, stats))
    shot = view.grab().toImage()
    tag = qcolor(62)

    def is_tag(x: int, y: int) -> bool:
        c = QColor(shot.pixel(x, y))
        return abs(c.red() - tag.red()) + abs(c.green() - tag.green()) + abs(c.blue() - tag.blue()) < 30

    # The tag's fill shows in the top-left corner of the picture, where a top HUD used to cover it.
    assert sum(is_tag(x, y) for x in range(8, 60) for y in range(2, 14)) > 200
    # The HUD is still painted: a dark band near the bottom-left corner of the picture.
    dark = QColor(shot.pixel(14, view.height() - 20))
    assert dark.red() < 150
