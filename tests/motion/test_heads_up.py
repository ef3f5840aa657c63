"""Motion in the heads-up lines: the app's (`hud_text`), the one drawn on recordings
(`render.hud_texts`) and the stats line `camapp run` prints."""

from camapp.pipeline import Stats
from camapp.render import hud_texts


def test_the_heads_up_lines_say_motion_and_the_share_skipped():
    from camapp.gui.video_view import hud_text

    gated = Stats(inference_fps=3.0, infer_ms=20.0, input_size=300, frames=200, predicted=150, motion="off")
    assert "motion off, 75% skipped" in hud_text(gated)
    assert hud_texts(gated)[0].endswith("| motion off, skipped 75%")
    assert all("motion off" in t for t in hud_texts(gated)[:2])
    assert "motion off, detected 50, skipped 150" in gated.line()
    plain = Stats(inference_fps=3.0, frames=200, predicted=150)
    assert "motion" not in hud_text(plain) and not any("motion" in t for t in hud_texts(plain))
    assert "motion" not in plain.line()
    starting = Stats(motion="on")
    assert hud_text(starting).endswith("motion on") and "skipped --" in hud_texts(starting)[0]
