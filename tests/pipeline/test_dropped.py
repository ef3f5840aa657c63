""" "dropped" counts frames skipped for a newer one that was then processed, nothing else: a
frame still waiting when the run stops (a limit, --duration, SIGINT) was not dropped."""

import re

import cv2
from conftest import PERSON_CLIP, need

from camapp.cli import main
from camapp.pipeline import Pipeline
from camapp.pipeline.handoff import END, FrameQueue
from camapp.pipeline.tracking import PredictQueue
from camapp.sources import open_source
from camapp.types import Frame


def test_a_pushed_out_frame_counts_when_a_newer_one_is_taken():
    drops: list[int] = []
    q = FrameQueue(1, drop=True, on_drop=drops.append)
    assert q.put("a") == 0 and q.put("b") == 1 and q.put("c") == 1
    assert drops == []  # not yet: "c" may never be taken
    assert q.get() == "c" and drops == [2]


def test_frames_waiting_at_a_stop_are_not_drops():
    drops: list[int] = []
    q = FrameQueue(1, drop=True, on_drop=drops.append)
    q.put("a")
    q.put("b")  # pushes "a" out, but "b" is never taken
    q.halt()
    assert q.put("c") == 0  # after the stop nothing is pushed out or queued
    assert q.get() == "b" and drops == []
    q.put(END, force=True)
    assert q.get() is END and drops == []


def test_the_predict_queue_counts_the_same_way():
    cap = cv2.VideoCapture(str(need(PERSON_CLIP)))
    frames = [Frame(cap.read()[1], i / 10, i, i / 10) for i in range(4)]
    cap.release()
    drops: list[int] = []
    q = PredictQueue(1, drop=True, backlog=1, on_drop=drops.append)
    for frame in frames[:3]:
        q.put((frame, None))  # frame 0 becomes predict-only, then is pushed out by frame 2
    q.halt()
    assert q.put((frames[3], None)) == 0 and drops == []


def test_a_run_ended_by_its_frame_limit_counts_only_the_gaps(detector):
    """A file decoded as fast as possible into a real-time pipeline: the capture thread pushes
    frames out all the time, also while the last frame is detected. The count is exactly the
    frames missing between the delivered ones, not those pushed out after the last was taken."""
    src = open_source(str(need(PERSON_CLIP)), realtime=False)
    delivered: list[int] = []
    p = Pipeline(src, detector, realtime=True, max_frames=20)
    p.on_result(lambda r: delivered.append(r.frame.index))
    p.start()
    assert p.wait(120)
    p.stop()
    gaps = sum(b - a - 1 for a, b in zip(delivered, delivered[1:])) + delivered[0]
    assert len(delivered) == 20 and p.stats.frames == 20
    assert p.stats.dropped == gaps


def test_run_summary_says_1_frame_and_no_false_drop(model_store, capsys):
    rc = main(["run", "--headless", "--source", str(need(PERSON_CLIP)), "--max-frames", "1"])
    out = capsys.readouterr().out
    assert rc == 0
    summary = next(line for line in out.splitlines() if line.startswith("summary:"))
    assert re.match(r"summary: 1 frame in [\d.]+ s .*\| dropped 0 \|", summary), summary
