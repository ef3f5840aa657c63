"""Memory by frame size: the waiting frames are bounded in bytes, and a run too large for the
machine says so at its start.

The machine's memory is the one thing given here instead of read (a 1 GB Raspberry Pi is not
this machine); the frames are the real clips' own, scaled to 4K with OpenCV.
"""

import cv2
import pytest
from conftest import PERSON_CLIP, need

from camapp.cli import main
from camapp.pipeline import memory
from camapp.pipeline.memory import MB, WAITING_BYTES, frames_within, memory_warning, needed_bytes
from camapp.pipeline.tracking import Predict, PredictQueue
from camapp.types import Frame


@pytest.fixture(scope="module")
def image():
    cap = cv2.VideoCapture(str(need(PERSON_CLIP)))
    ok, img = cap.read()
    cap.release()
    assert ok and img.shape == (432, 768, 3)
    return img


def test_frames_within_a_budget():
    four_k = 3840 * 2160 * 3  # 24.9 MB
    assert frames_within(four_k, WAITING_BYTES, 8) == 2
    assert frames_within(768 * 432 * 3, WAITING_BYTES, 8) == 8  # small frames: the count rules
    assert frames_within(WAITING_BYTES, WAITING_BYTES, 8) == 1  # exactly the budget: one
    assert frames_within(WAITING_BYTES // 2, WAITING_BYTES, 8) == 2
    assert frames_within(WAITING_BYTES // 2 + 1, WAITING_BYTES, 8) == 1
    assert frames_within(WAITING_BYTES * 4, WAITING_BYTES, 8) == 1  # never none


@pytest.mark.parametrize(("scale", "waiting"), [(1, 8), (5, 2)])  # 768x432, and 3840x2160
def test_predicted_frames_waiting_are_bounded_in_bytes(image, scale, waiting):
    big = cv2.resize(image, None, fx=scale, fy=scale) if scale != 1 else image
    q = PredictQueue(1, drop=True, backlog=8)
    for i in range(20):
        q.put((Frame(big, float(i), i, None), None))
    items = list(q._items)
    assert len(items) == 1 + waiting  # the freshest for detection, the rest predicted
    assert all(isinstance(x, Predict) for x in items[:-1]) and items[-1][0].index == 19


def test_the_warning_says_when_the_need_passes_what_the_machine_has():
    need_4k = needed_bytes((3840, 2160), encoders=2)
    assert 600 * MB < need_4k < 2048 * MB
    assert memory_warning((3840, 2160), 2, have=need_4k) is None  # exactly enough
    text = memory_warning((3840, 2160), 2, have=need_4k - 1)
    assert text is not None and text.startswith("a 3840x2160 source with 2 recordings needs about")
    assert "--width/--height" in text
    pi_1gb = 900 * MB  # what a 1 GB Raspberry Pi reports as its total
    assert memory_warning((768, 432), 2, have=pi_1gb) is None  # the samples fit
    assert memory_warning((3840, 2160), 2, have=pi_1gb) is not None  # 4K with two recordings does not
    assert memory_warning((3840, 2160), 2, have=2 * pi_1gb) is None  # a 2 GB one holds it
    assert memory_warning(None, 2, have=1) is None  # a size not known yet: nothing to say


def test_machine_memory_is_read():
    have = memory.machine_bytes()
    assert have is not None and have > 256 * MB


def test_run_says_at_start_that_the_machine_is_too_small(model_store, tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(memory, "machine_bytes", lambda: 200 * MB)  # a machine smaller than any run
    rec = tmp_path / "r.mp4"
    rc = main(
        ["run", "--headless", "--source", str(need(PERSON_CLIP)), "--max-frames", "3", "--record", str(rec)]
    )
    out, err = capsys.readouterr()
    assert rc == 0
    warning = [line for line in err.splitlines() if "needs about" in line]
    assert warning == [
        f"camapp: warning: a 768x432 source with 1 recording needs about"
        f" {needed_bytes((768, 432), 1) // MB} MB and this machine has 200 MB; it may run out of memory:"
        " use a smaller camera mode (--width/--height) or fewer recordings"
    ]


@pytest.mark.parametrize(("scale", "kept_at_most"), [(1, 16), (5, 2)])
def test_a_recorder_queues_no_more_than_its_frame_budget(image, tmp_path, scale, kept_at_most):
    """20 results handed over at once (a burst): a 768x432 recorder queues up to its 16, a 4K
    one up to 2 (50 MB); the rest are counted as dropped, as with a full queue."""
    from camapp.pipeline import Result, Stats
    from camapp.record import VideoRecorder
    from camapp.types import Detections

    big = cv2.resize(image, None, fx=scale, fy=scale) if scale != 1 else image
    rec = VideoRecorder(tmp_path / "r.mp4")
    for i in range(20):
        rec.submit(Result(Frame(big, i / 10, i, i / 10), Detections.empty(), Stats()))
    queued = 20 - rec.dropped
    rec.close()
    assert queued <= kept_at_most + 1  # the queue, and the one its thread took meanwhile
    assert rec.frames_written == queued  # what was queued was recorded
