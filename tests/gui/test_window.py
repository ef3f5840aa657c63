"""The main window on the real model and the real clips (Qt offscreen).

Nothing is faked: the pipeline runs the real detector on the shared bottle/person clips, and the
assertions read what the view paints and what the recorder wrote.
"""

from __future__ import annotations

import os
from pathlib import Path

import av
import numpy as np
import pytest
from conftest import BOTTLE_CLIP, PERSON_CLIP, need
from gui.windows import WAIT, open_window
from PyQt6.QtCore import Qt
from PyQt6.QtTest import QTest

from camapp.gui.settings import Settings
from camapp.gui.video_view import hud_text
from camapp.gui.window import NO_CAMERA, GuiOptions, MainWindow
from camapp.record.finalize import mp4_kind


@pytest.fixture()
def bottle_window(qtbot, model_store, tmp_path):
    w = open_window(qtbot, str(need(BOTTLE_CLIP)), tmp_path)
    qtbot.waitUntil(lambda: w.view.frames_shown >= 3, timeout=WAIT)
    yield w
    w.close()


def frames_after(qtbot, w: MainWindow, n: int) -> list:
    """The next `n` results the window paints."""
    got: list = []
    w.bridge.result.connect(got.append)
    qtbot.waitUntil(lambda: len(got) >= n, timeout=WAIT)
    w.bridge.result.disconnect(got.append)
    return got


def decoded_frames(path: Path) -> int:
    with av.open(str(path)) as box:
        return sum(1 for _ in box.decode(video=0))


def test_slider_changes_the_detectors_input_size(qtbot, bottle_window):
    w = bottle_window
    sizes = w.side.rungs.sizes
    assert len(sizes) > 1, f"the CPU detector should offer a ladder of input sizes, got {sizes}"
    assert w.session.detector.input_size == max(sizes)
    small = min(sizes)
    w.side.rungs.slider.setValue(sizes.index(small))
    later = frames_after(qtbot, w, 8)
    assert later[-1].stats.input_size == small
    assert w.session.detector.input_size == small
    assert w.settings.input_size == small
    labels = [w.side.rungs._stops.itemAt(i).widget().text() for i in range(len(sizes))]
    assert all(text.endswith(" ms") and str(size) in text for text, size in zip(labels, sizes))


def test_threshold_changes_what_is_drawn(qtbot, model_store, tmp_path):
    w = open_window(qtbot, str(need(PERSON_CLIP)), tmp_path)
    w.side.threshold.setValue(20)
    qtbot.waitUntil(lambda: w.view.frames_shown >= 3, timeout=WAIT)
    low = frames_after(qtbot, w, 25)
    drawn_low = [r.detections for r in low]
    assert sum(len(d) for d in drawn_low) > 0
    assert min(float(s) for d in drawn_low for s in d.scores) < 0.6

    w.side.threshold.setValue(60)
    later = frames_after(qtbot, w, 25)[5:]
    assert all(float(s) >= 0.6 for r in later for s in r.detections.scores)
    w.close()


def test_class_filter_draws_only_the_kept_class(qtbot, model_store, tmp_path):
    """Keep "bottle" on the bottle clip: at 20 % every one of its frames has a bottle, and most
    also a table, cup or phone. Counted in painted frames, never in seconds, so a slow machine
    (fewer frames inferred per second) changes nothing but the wait."""
    w = open_window(qtbot, str(need(BOTTLE_CLIP)), tmp_path)
    w.side.threshold.setValue(20)
    qtbot.waitUntil(lambda: w.view.frames_shown >= 3, timeout=WAIT)
    before = frames_after(qtbot, w, 20)[5:]
    others = {lbl for r in before for lbl in r.detections.labels} - {"bottle"}
    assert others, "without the filter more than bottles are drawn at 20 %"

    w.side.classes.set_checked(["bottle"])
    later = frames_after(qtbot, w, 25)[5:]  # the first few were inferred before the change
    assert [sorted(set(r.detections.labels)) for r in later] == [["bottle"]] * len(later)
    assert w.settings.classes == ["bottle"]
    # what is on screen is what the view paints
    assert w.view.drawn is not None and set(w.view.drawn.labels) == {"bottle"}
    w.close()


def test_record_then_stop_writes_a_file_that_decodes(qtbot, bottle_window):
    w = bottle_window
    with qtbot.waitSignal(w.session.recording_started, timeout=WAIT) as started:
        QTest.keyClick(w, Qt.Key.Key_R)
    path = Path(started.args[0])
    assert path.parent == w.output_dir()
    frames_after(qtbot, w, 30)
    assert "REC" in w.stat_labels["rec"].text() or w.recording_path
    with qtbot.waitSignal(w.session.recording_stopped, timeout=WAIT) as stopped:
        QTest.keyClick(w, Qt.Key.Key_R)
    saved, written = stopped.args
    assert Path(saved) == path and written >= 20
    assert decoded_frames(path) == written
    assert mp4_kind(path) == "regular"  # Stop finalized it (off the GUI thread): browsers can seek it


def test_closing_while_recording_leaves_a_playable_file(qtbot, bottle_window):
    w = bottle_window
    with qtbot.waitSignal(w.session.recording_started, timeout=WAIT) as started:
        w.side.record.setChecked(True)
    frames_after(qtbot, w, 20)
    rec = w.session.recorder
    w.close()
    path = Path(started.args[0])
    assert path.is_file() and rec.frames_written > 0
    assert decoded_frames(path) == rec.frames_written
    assert mp4_kind(path) == "regular"
    assert w.session.pipeline is None and not w.session.worker.thread.is_alive()
    import threading

    left = [
        t.name for t in threading.enumerate() if t.name.startswith(("camapp-capture", "camapp-inference"))
    ]
    assert left == []  # capture and inference threads ended with the window


def test_snapshot_pause_and_settings_restored(qtbot, bottle_window):
    w = bottle_window
    with qtbot.waitSignal(w.session.snapshot_saved, timeout=WAIT) as snap:
        QTest.keyClick(w, Qt.Key.Key_S)
    import cv2

    img = cv2.imread(snap.args[0])
    assert img is not None and img.shape[:2] == (360, 640)

    QTest.keyClick(w, Qt.Key.Key_Space)
    qtbot.waitUntil(lambda: w.view.message == "Paused", timeout=WAIT)
    qtbot.wait(300)  # frames already inside the pipeline when Space was pressed still land
    shown = w.view.frames_shown
    qtbot.wait(700)
    assert w.view.frames_shown == shown
    QTest.keyClick(w, Qt.Key.Key_Space)
    qtbot.waitUntil(lambda: w.view.frames_shown > shown + 3, timeout=WAIT)

    w.side.threshold.setValue(42)
    w.close()
    again = MainWindow(Settings(), GuiOptions())
    qtbot.addWidget(again)
    assert again.side.threshold.value() == 42
    assert again.settings.source == str(BOTTLE_CLIP)


def test_no_camera_state(qtbot, model_store, tmp_path):
    from camapp.session.worker import list_cameras

    if list_cameras():
        pytest.skip("this machine has a camera")
    w = open_window(qtbot, None, tmp_path)
    qtbot.waitUntil(lambda: w.view.message == NO_CAMERA, timeout=WAIT)
    assert w.side.open_file.isEnabled() and w.side.open_url.isEnabled()
    assert not w.side.record.isEnabled()  # nothing to record yet
    qtbot.waitUntil(lambda: w.side.classes.list.count() == 80, timeout=WAIT)  # the model loaded anyway
    qtbot.waitUntil(lambda: len(w.side.rungs.sizes) > 1, timeout=WAIT)
    assert "No camera" in w.state_label.text()
    img = w.view.grab().toImage()
    assert img.width() > 0  # paints without a frame
    w.close()


def test_model_not_installed_state(qtbot, tmp_path, monkeypatch):
    monkeypatch.setenv("CAMAPP_MODEL_DIR", str(tmp_path / "empty-store"))
    w = open_window(qtbot, str(need(BOTTLE_CLIP)), tmp_path)
    qtbot.waitUntil(lambda: "not installed" in w.view.message, timeout=WAIT)
    assert "camapp models fetch" in w.view._detail
    assert w.fetch_button.isVisibleTo(w)
    w.close()


def test_view_keeps_aspect_ratio(qtbot, bottle_window):
    w = bottle_window
    w.resize(1400, 700)
    qtbot.wait(100)
    r = w.view.image_rect()
    assert abs(r.width() / r.height() - 640 / 360) < 0.01
    assert r.height() == pytest.approx(w.view.height(), abs=1) or r.width() == pytest.approx(
        w.view.width(), abs=1
    )
    img = w.view.grab().toImage()
    arr = np.frombuffer(img.constBits().asstring(img.sizeInBytes()), np.uint8)
    assert arr.size > 0


def test_lost_source_shows_reconnecting_then_recovers(qtbot, bottle_window):
    """The pipeline's state callback (real `Stats`, from a non-GUI thread) drives the view.

    No camera can be unplugged here, so the pipeline's reconnect is signalled the way the
    pipeline does it: `on_state(stats)` from its thread.
    """
    import threading

    from camapp.pipeline import Stats

    w = bottle_window
    _, on_state = w.bridge.attach()  # what Session hands to the pipeline
    lost = Stats(state="reconnecting", message="camera 0 stopped sending frames")
    threading.Thread(target=on_state, args=(lost,)).start()
    qtbot.waitUntil(lambda: w.view.message == "Reconnecting…", timeout=WAIT)
    assert "stopped sending" in w.view._detail and "Reconnecting" in w.state_label.text()
    assert w.view.has_frame  # the last picture stays, dimmed, under the message
    threading.Thread(target=on_state, args=(Stats(state="running"),)).start()
    qtbot.waitUntil(lambda: w.view.message == "", timeout=WAIT)


def test_auto_and_drop_a_file(qtbot, bottle_window):
    from PyQt6.QtCore import QMimeData, QPointF, QUrl
    from PyQt6.QtGui import QDropEvent

    w = bottle_window
    w.side.rungs.target.setValue(12)
    w.side.rungs.auto.setChecked(True)
    qtbot.waitUntil(lambda: w.session.pipeline.auto, timeout=WAIT)
    assert w.settings.input_size == "auto" and w.settings.target_fps == 12

    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(need(PERSON_CLIP)))])
    drop = QDropEvent(
        QPointF(10, 10),
        Qt.DropAction.CopyAction,
        mime,
        Qt.MouseButton.NoButton,
        Qt.KeyboardModifier.NoModifier,
    )
    w.dropEvent(drop)
    qtbot.waitUntil(lambda: w.session.spec == str(PERSON_CLIP), timeout=WAIT)
    qtbot.waitUntil(lambda: w.latest is not None and w.latest.frame.width == 768, timeout=WAIT)
    assert w.side.source.currentText() == PERSON_CLIP.name
    assert w.session.pipeline.auto  # live settings carry over to the new source


def test_full_screen_keys_and_quit(qtbot, bottle_window):
    w = bottle_window
    QTest.keyClick(w, Qt.Key.Key_F)
    qtbot.waitUntil(w.isFullScreen, timeout=5000)
    assert not w.side.isVisible()  # the picture gets the whole screen
    QTest.keyClick(w, Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: not w.isFullScreen(), timeout=5000)
    assert w.side.isVisible()
    QTest.keyClick(w, Qt.Key.Key_Q)
    qtbot.waitUntil(lambda: not w.isVisible(), timeout=10_000)
    assert w.session.pipeline is None


def test_unwritable_output_folder_is_reported_and_recording_can_be_retried(qtbot, bottle_window, tmp_path):
    w = bottle_window
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the output folder should be")
    w.output_override = blocker / "out"
    with qtbot.waitSignal(w.session.failed, timeout=WAIT) as failed:
        QTest.keyClick(w, Qt.Key.Key_R)
    assert failed.args[0] == "record"
    qtbot.waitUntil(lambda: not w.side.record.isChecked(), timeout=WAIT)
    assert "not-a-folder" in w.side.record_info.text() and w.recording_path is None
    w.output_override = tmp_path / "out"
    with qtbot.waitSignal(w.session.recording_started, timeout=WAIT):
        QTest.keyClick(w, Qt.Key.Key_R)
    assert w.side.record.isChecked()


def test_edgetpu_without_a_coral_falls_back_to_the_cpu_and_says_so(qtbot, model_store, tmp_path):
    """`--device edgetpu` on this machine (no Coral, no libedgetpu: the real condition, nothing
    faked) streams on the CPU model, as the command line does, and the window says why."""
    w = open_window(qtbot, str(need(BOTTLE_CLIP)), tmp_path, device="edgetpu")
    qtbot.waitUntil(lambda: w.view.frames_shown >= 5, timeout=WAIT)
    assert "not installed" not in w.view.message
    det = w.session.detector
    assert det.device == "cpu" and det.fallback_reason
    assert w.warning_label.isVisibleTo(w)
    assert "running on the CPU" in w.warning_label.toolTip()
    assert det.fallback_reason in w.warning_label.toolTip()
    assert w.side.device.currentText().endswith("→ CPU")  # the Device box says what runs
    assert det.fallback_reason in w.side.device.toolTip()  # and why, in full
    assert any("bottle" in r.detections.labels for r in frames_after(qtbot, w, 5))
    assert w.settings.device == "edgetpu"  # the choice is remembered, not the fallback
    w.close()


def test_a_missing_file_is_reported_before_the_model_is_timed(qtbot, model_store, tmp_path):
    """The source opens first: the error is on screen before any input size was timed.

    What the session had measured is read at the moment the failure is emitted (a direct
    connection runs on the worker thread), so the check is about order, not speed.
    """
    from PyQt6.QtCore import Qt as QtNs

    seen: list[tuple[str, dict, object]] = []
    w = MainWindow(Settings(), GuiOptions(source=str(tmp_path / "no-such-video.mp4")))
    w.output_override = tmp_path / "out"
    qtbot.addWidget(w)
    ses = w.session
    ses.failed.connect(
        lambda kind, _text: seen.append((kind, dict(ses.rung_ms), ses.detector)),
        QtNs.ConnectionType.DirectConnection,
    )
    measured: list[dict] = []
    ses.measured.connect(measured.append)
    w.show()
    w.start()
    qtbot.waitUntil(lambda: w.view.message == "Cannot start", timeout=WAIT)
    assert "no-such-video.mp4" in w.view._detail
    assert seen[0] == ("source", {}, None)  # no model loaded, no rung timed yet
    qtbot.waitUntil(lambda: len(measured) == 1, timeout=WAIT)  # the controls still get the model
    assert w.view.message == "Cannot start"  # and its progress does not hide the error
    w.close()


def test_closing_while_the_rungs_are_timed_stops_at_once(qtbot, model_store, tmp_path, capfd):
    """Closing during start-up cancels the rung timing instead of waiting it out."""
    w = open_window(qtbot, str(need(BOTTLE_CLIP)), tmp_path)
    qtbot.waitUntil(lambda: "Timing input sizes" in w.state_label.text(), timeout=WAIT)
    w.close()
    assert "did not stop in time" not in capfd.readouterr().err
    assert w.session.rung_ms == {}  # it gave up timing the ladder
    assert w.session.pipeline is None  # and did not start the video
    qtbot.waitUntil(lambda: not w.session.worker.thread.is_alive(), timeout=5000)


def test_the_detect_box_switches_inference_off_and_follows_a_change_made_elsewhere(qtbot, bottle_window):
    w = bottle_window
    assert w.side.detect.isChecked() and len(frames_after(qtbot, w, 3)[-1].detections)
    w.side.detect.setChecked(False)
    later = frames_after(qtbot, w, 12)[4:]  # the first few were inferred before the change
    assert all(not len(r.detections) and not r.stats.detecting for r in later)
    assert w.view.drawn is None or not len(w.view.drawn)
    assert w.session.core.status()["detect"] is False
    assert (
        hud_text(w.latest.stats) == "detection off"
        and w.status.stat_labels["infer"].text() == "Detection off"
    )
    keep = os.environ.get("CAMAPP_SCREENSHOT_DIR")
    if keep:
        Path(keep).mkdir(parents=True, exist_ok=True)
        w.grab().save(str(Path(keep) / "gui-detect-off.png"))
    w.session.core.set_detect(True)  # as MQTT or the browser view would
    qtbot.waitUntil(lambda: w.side.detect.isChecked(), timeout=WAIT)
    assert any(len(r.detections) for r in frames_after(qtbot, w, 12)[4:])
