"""The desktop app's Events, detection log and segment controls, end to end with the real model.

Files play in real time here (as in the app), so these wait for the clip's own clock: the person
in the shared person clip walks in at about 6 s (frame 62 of the 10 fps clip).
"""

from __future__ import annotations

import json
from pathlib import Path

import av
import pytest
from conftest import BOTTLE_CLIP, PERSON_CLIP, need
from gui.windows import WAIT, open_window

from camapp.gui.recording_panel import RecordingPanel
from camapp.gui.settings import OutputChoices, Settings
from camapp.gui.window import MainWindow


def running_window(qtbot, clip: Path, tmp_path: Path) -> MainWindow:
    w = open_window(qtbot, str(need(clip)), tmp_path)
    qtbot.waitUntil(lambda: w.view.frames_shown >= 2, timeout=WAIT)
    return w


def frame_times(path: Path) -> list[float]:
    with av.open(str(path)) as box:
        return [float(f.pts * f.time_base) for f in box.decode(video=0)]


def test_panel_round_trips_choices_and_persists(qtbot, tmp_path):
    c = OutputChoices(True, "person, dog", 2.5, 4.0, "/x/events", True, 1.5, 20.0)
    panel = RecordingPanel(c)
    qtbot.addWidget(panel)
    assert panel.choices("/x/events") == c and panel.class_names() == ("person", "dog")
    assert panel.keep_gb.isEnabled()
    panel.segment_min.setValue(0)
    assert not panel.keep_gb.isEnabled()  # a cap only means something with segments
    panel.show()
    assert panel.event_details.isVisible()
    panel.events.setChecked(False)
    assert not panel.event_details.isVisible()  # folded away while unused
    s = Settings()
    s.outputs = c
    s.sync()
    assert Settings().outputs == c
    assert Settings(tmp_path / "fresh.ini").outputs == OutputChoices()


def test_event_clip_written_when_a_person_walks_in(qtbot, model_store, tmp_path):
    w = running_window(qtbot, PERSON_CLIP, tmp_path)
    rec = w.recording
    rec.event_classes.setText("person")
    rec.pre_roll.setValue(2.0)
    rec.post_roll.setValue(1.0)
    with qtbot.waitSignal(w.session.output_started, timeout=WAIT) as started:
        rec.events.setChecked(True)
    assert started.args[0] == "events" and "Watching for: person · 0 clip(s) saved" in rec.events_info.text()
    qtbot.waitUntil(
        lambda: (
            w.latest is not None and w.latest.frame.index >= 80 and "person" in w.latest.detections.labels
        ),
        timeout=WAIT,
    )
    with qtbot.waitSignal(w.session.output_stopped, timeout=WAIT) as stopped:
        rec.events.setChecked(False)  # ends the event being written
    clips = sorted((tmp_path / "out" / "events").glob("*_person.mp4"))
    assert len(clips) == 1, clips
    times = frame_times(clips[0])
    assert stopped.args[2] == len(times) >= 15
    assert times[-1] - times[0] >= 2.0  # the pre-roll before the person came in, and the walk
    assert "1 clip(s) saved" in rec.events_info.text()
    assert w.settings.outputs.events is False and w.settings.outputs.event_classes == "person"
    w.close()


def test_log_has_one_line_per_frame(qtbot, model_store, tmp_path):
    w = running_window(qtbot, BOTTLE_CLIP, tmp_path)
    seen: list[int] = []
    w.session.core.subscribe(lambda name, e: name == "result" and seen.append(e["result"].frame.index))
    with qtbot.waitSignal(w.session.output_started, timeout=WAIT) as started:
        w.recording.log.setChecked(True)
    path = Path(started.args[1])
    assert path.parent == tmp_path / "out" and path.suffix == ".jsonl"
    at_start = len(seen)
    qtbot.waitUntil(lambda: len(seen) >= at_start + 25, timeout=WAIT)  # frames, not seconds: load-proof
    with qtbot.waitSignal(w.session.output_stopped, timeout=WAIT) as stopped:
        w.recording.log.setChecked(False)
    lines = [json.loads(x) for x in path.read_text().splitlines()]
    frames = [x["frame"] for x in lines]
    assert stopped.args[2] == len(lines) >= 20
    assert frames == sorted(set(frames))  # each frame once, in order
    assert frames == [i for i in seen if frames[0] <= i <= frames[-1]]  # and none missing
    assert any(d["label"] == "bottle" for x in lines for d in x["detections"])
    assert f"Logged {len(lines)} frames" in w.recording.log_info.text()
    w.close()


def test_segments_are_cut_without_a_gap(qtbot, model_store, tmp_path):
    w = running_window(qtbot, BOTTLE_CLIP, tmp_path)
    w.recording.segment_min.setValue(0.1)  # 6 s
    w.recording.keep_gb.setValue(1.0)
    assert w.settings.outputs.segment_min == pytest.approx(0.1)
    with qtbot.waitSignal(w.session.recording_started, timeout=WAIT):
        w.side.record.click()
    rec = w.session.recorder
    assert rec.segments.seconds == pytest.approx(6.0) and rec.segments.keep_mb == 1024
    qtbot.waitUntil(lambda: len(rec.files) >= 3, timeout=WAIT)  # two cuts
    with qtbot.waitSignal(w.session.recording_stopped, timeout=WAIT) as stopped:
        w.side.record.click()
    # (a real-time recorder may drop results on a busy machine, counted in `dropped`; none is lost
    # at a cut: every frame it took is in exactly one file. Frame-exact continuity across cuts is
    # tests/record/test_segments.py's.)
    assert rec.error is None and rec.frames_lost == 0 and rec.pauses == 0
    per_file = [frame_times(p) for p in rec.files]
    assert sum(len(t) for t in per_file) == stopped.args[1] == rec.frames_written
    for times in per_file[:-1]:
        assert times[0] == 0.0 and 5.5 <= times[-1] < 6.0  # a full 6 s, cut at its end
    assert all(p.parent == tmp_path / "out" and p.name.startswith("camapp-") for p in rec.files)
    w.close()
