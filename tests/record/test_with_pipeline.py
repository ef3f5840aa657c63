"""The recorders as consumers of the real pipeline: file source, real detector, all outputs at once."""

from __future__ import annotations

import json
import time

import numpy as np
from conftest import PERSON_CLIP, need

from camapp.pipeline import Pipeline
from camapp.record import DetectionLog, EventRecorder, SnapshotWriter, VideoRecorder
from camapp.sources import open_source


class Count:
    def __init__(self) -> None:
        self.n = 0

    def submit(self, result) -> None:
        self.n += 1

    def close(self) -> None:
        pass


def wait_for(cond, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not cond():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)


def test_all_outputs_from_one_run(tmp_path, detector, decoded):
    """`camapp run --record --record-on person --snapshot-dir --log`, as the CLI wires it."""
    video = VideoRecorder(tmp_path / "run.mp4", queue_size=0)
    log = DetectionLog(tmp_path / "run.jsonl")
    events = EventRecorder(tmp_path / "events", ["person"], pre_roll=2.0, post_roll=1.0, queue_size=0)
    snaps = SnapshotWriter(tmp_path / "snaps", every=2.0, queue_size=0)
    src = open_source(str(need(PERSON_CLIP)), realtime=False)
    p = Pipeline(src, detector, [video, log, events, snaps], max_frames=100)
    p.start()
    assert p.wait(120)
    p.stop()  # closes every consumer: files are finalized here
    assert [c.error for c in (video, log, events, snaps)] == [None] * 4
    times, _ = decoded(video.path)
    assert len(times) == video.frames_written == 100
    assert np.allclose(np.diff(times), 0.1, atol=0.002)
    lines = [json.loads(x) for x in log.path.read_text().splitlines()]
    assert [x["frame"] for x in lines] == list(range(100))
    assert all(x["input_size"] == detector.input_size for x in lines)
    assert lines[99]["t"] == 9.9
    first_person = next(x["frame"] for x in lines if any(d["label"] == "person" for d in x["detections"]))
    (event,) = events.events  # the person appears in this stretch and stays to its end
    assert event.trigger_t == first_person / 10 and event.pre_roll >= 2.0
    assert len(decoded(event.path)[0]) == event.frames
    assert [int(s.stem.rsplit("-f", 1)[1]) for s in snaps.saved] == [0, 20, 40, 60, 80]


def test_recording_toggled_live(tmp_path, detector, decoded):
    """The GUI adds a recorder to a running pipeline and removes and closes it later."""
    src = open_source(str(need(PERSON_CLIP)), realtime=False)
    count = Count()
    p = Pipeline(src, detector, [count], max_frames=90)
    p.start()
    wait_for(lambda: count.n >= 20)
    rec = VideoRecorder(tmp_path / "live.mkv", queue_size=0)
    p.add_consumer(rec)
    wait_for(lambda: count.n >= 50)
    p.remove_consumer(rec)
    rec.close()
    rec.close()
    assert p.wait(120)
    p.stop()
    times, _ = decoded(rec.path)
    assert rec.error is None and 10 <= len(times) == rec.frames_written <= 60
    assert times[0] == 0.0 and np.allclose(np.diff(times), 0.1, atol=0.002)
    assert rec.elapsed == times[-1]
