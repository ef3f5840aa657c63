"""The desktop app's Motion box on the real model and the shared bottle clip (Qt offscreen):
ticked, the session runs the gate live and the heads-up line says so; the choice is saved."""

from __future__ import annotations

from conftest import BOTTLE_CLIP, need
from gui.windows import WAIT, open_window

from camapp.gui.motion import MotionChoices, load_choices, motion_spec
from camapp.gui.settings import Settings
from camapp.gui.video_view import hud_text


def test_choices_become_the_sessions_spec():
    assert motion_spec(MotionChoices(on=False, regions=True)) is None
    spec = motion_spec(MotionChoices(on=True, regions=True, overlay=True, masks="0,0,0.5,0,0.5,0.5;0,0,1"))
    assert spec is not None and spec.mode == "regions" and spec.overlay
    assert [m.points for m in spec.masks] == [((0.0, 0.0), (0.5, 0.0), (0.5, 0.5))]  # the bad one dropped
    assert motion_spec(MotionChoices(on=True)).mode == "on"


def test_the_motion_box_runs_the_gate_live_and_is_saved(qtbot, model_store, tmp_path):
    w = open_window(qtbot, str(need(BOTTLE_CLIP)), tmp_path)
    qtbot.waitUntil(lambda: w.view.frames_shown >= 3, timeout=WAIT)
    panel = w.motion.panel
    assert not panel.on.isChecked() and not panel.regions.isEnabled()
    assert getattr(w.latest.stats, "motion", "") == ""
    panel.on.setChecked(True)  # live: the session puts the gate in
    qtbot.waitUntil(lambda: w.latest.stats.motion in ("on", "off"), timeout=WAIT)
    qtbot.waitUntil(lambda: w.latest.stats.predicted > 0, timeout=WAIT)  # still frames skipped
    assert "motion o" in hud_text(w.latest.stats) and "skipped" in hud_text(w.latest.stats)
    assert panel.regions.isEnabled()
    panel.regions.setChecked(True)
    qtbot.waitUntil(lambda: w.session.core.motion is not None and w.session.core.motion.mode == "regions")
    assert load_choices(Settings()) == MotionChoices(on=True, regions=True)  # saved
    panel.on.setChecked(False)
    qtbot.waitUntil(lambda: w.session.core.motion is None and w.session.core.status()["motion"] is None)
    assert load_choices(Settings()).on is False
