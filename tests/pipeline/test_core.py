"""The pipeline on the real clips with the real model: ordering, drops, backpressure, live settings."""

import threading
import time

import numpy as np
import pytest
from conftest import BOTTLE_CLIP, PERSON_CLIP, need

from camapp.errors import CamappError
from camapp.pipeline import Pipeline, Result
from camapp.record.base import Worker
from camapp.sources import open_source


class Collect:
    """A consumer keeping every result (cheap: appending to a list does not block)."""

    def __init__(self) -> None:
        self.results: list[Result] = []
        self.closed = False

    def submit(self, result: Result) -> None:
        self.results.append(result)

    def close(self) -> None:
        self.closed = True


def run(pipeline: Pipeline, timeout: float = 120.0) -> None:
    pipeline.start()
    assert pipeline.wait(timeout), "pipeline did not finish"
    pipeline.stop()


def test_no_realtime_file_processes_every_frame_in_order(detector):
    src = open_source(str(need(PERSON_CLIP)), realtime=False)
    sink = Collect()
    slow = []  # a slow result callback: with backpressure it slows capture instead of dropping
    p = Pipeline(src, detector, [sink], max_frames=120)
    p.on_result(lambda r: (slow.append(r.frame.index), time.sleep(0.005)))
    run(p)
    indices = [r.frame.index for r in sink.results]
    assert indices == list(range(120)) and slow == indices
    stats = p.stats
    assert stats.dropped == 0 and stats.frames == 120
    assert stats.state == "ended" and sink.closed
    people = [r for r in sink.results if "person" in r.detections.labels]
    assert len(people) > 40  # people walk through this part of the clip


def test_results_belong_to_the_frame_they_carry(detector):
    """Re-running the detector on a result's own frame gives its detections back."""
    src = open_source(str(need(PERSON_CLIP)), realtime=False)
    sink = Collect()
    run(Pipeline(src, detector, [sink], max_frames=150))
    checked = 0
    for r in sink.results[60::15]:
        again = detector.detect(r.frame.image)
        assert (
            np.allclose(again.boxes, r.detections.boxes, atol=0.01)
            and list(again.labels) == r.detections.labels
        )
        checked += len(again)
    assert checked > 0


def test_realtime_drops_stale_frames_and_counts_them(detector):
    """A source decoding far faster than inference: the freshest frame wins, every drop is counted."""
    src = open_source(str(need(BOTTLE_CLIP)), realtime=False)  # decode as fast as possible...
    sink = Collect()
    p = Pipeline(src, detector, [sink], realtime=True)  # ...into a real-time pipeline
    run(p)
    stats = p.stats
    indices = [r.frame.index for r in sink.results]
    assert stats.dropped > 0
    assert stats.frames + stats.dropped == 1189  # every frame either processed or counted as dropped
    assert indices == sorted(set(indices)) and len(indices) == stats.frames
    assert indices[-1] == 1188  # the last frame is never dropped
    # gaps in the indices are exactly the drops
    assert sum(b - a - 1 for a, b in zip(indices, indices[1:])) + indices[0] == stats.dropped


def test_slow_queued_consumer_drops_its_own_results_without_slowing_detection(detector):
    """The slow consumer blocks until every result was submitted, so drops happen by construction.

    (A fixed sleep per result is not slow enough when inference itself is slower under CPU load.)
    """
    submitted = threading.Event()

    class Slow(Worker):
        def __init__(self):
            super().__init__("slow", queue_size=2)
            self.seen = []
            self._start()

        def _handle(self, result):
            assert submitted.wait(60), "the pipeline never submitted all 100 results"
            self.seen.append(result.frame.index)

    class Sink(Collect):
        def submit(self, result):  # runs after Slow.submit: consumers are called in order
            super().submit(result)
            if len(self.results) == 100:
                submitted.set()

    slow, sink = Slow(), Sink()
    src = open_source(str(need(PERSON_CLIP)), realtime=False)
    run(Pipeline(src, detector, [slow, sink], max_frames=100))
    assert len(sink.results) == 100  # detection went on while the slow consumer was stuck
    assert [r.frame.index for r in sink.results] == list(range(100))
    # at most one result in _handle() plus a queue of 2 can survive; everything else was dropped
    assert len(slow.seen) <= 3 and len(slow.seen) + slow.dropped == 100
    assert slow.seen == sorted(slow.seen) and slow.seen[0] == 0  # close() drained what was queued


def test_stats_are_filled_in(detector):
    src = open_source(str(need(PERSON_CLIP)), realtime=True)
    sink = Collect()
    p = Pipeline(src, detector, [sink], max_frames=25)
    states = []
    p.on_state(lambda s: states.append(s.state))
    run(p)
    s = sink.results[-1].stats
    assert s.capture_fps == pytest.approx(10.0, rel=0.25)  # the clip's own rate
    assert 0 < s.inference_fps <= s.capture_fps * 1.25
    assert s.infer_ms > 0 and s.infer_ms_p95 >= s.infer_ms
    assert s.latency_ms >= s.infer_ms * 0.5
    assert s.input_size == 300 and s.frames == 25 and s.state == "running"
    assert states == ["running", "ended"]
    assert "inference" in p.stats.line() and p.stats.state == "ended"


def test_live_threshold_and_class_changes_apply_between_frames(detector):
    src = open_source(str(need(PERSON_CLIP)), realtime=False)
    sink = Collect()
    p = Pipeline(src, detector, [sink], max_frames=400)
    switched = threading.Event()

    def change(result: Result) -> None:
        if result.frame.index == 199:
            p.set_classes({1000})  # a class the model never predicts
            p.set_threshold(0.3)
            switched.set()

    p.on_result(change)
    run(p)
    before = [r for r in sink.results if 100 <= r.frame.index < 200]
    after = [r for r in sink.results if r.frame.index >= 201]
    assert sum(len(r.detections) for r in before) > 0
    assert switched.is_set() and all(len(r.detections) == 0 for r in after)
    assert detector.threshold == 0.3


def test_pause_holds_a_file_and_resume_continues(detector):
    src = open_source(str(need(PERSON_CLIP)), realtime=False)
    sink = Collect()
    p = Pipeline(src, detector, [sink], max_frames=60)
    p.start()
    while len(sink.results) < 3:
        time.sleep(0.01)
    p.pause()
    held = -1
    while held != len(sink.results):  # let frames already in flight land
        held = len(sink.results)
        time.sleep(0.5)
    assert held < 60 and p.stats.state == "paused"
    p.resume()
    assert p.wait(60)
    p.stop()
    assert [r.frame.index for r in sink.results] == list(range(60))  # a paused file loses nothing


def test_bad_live_settings_are_user_errors(detector):
    src = open_source(str(need(PERSON_CLIP)))
    p = Pipeline(src, detector)
    with pytest.raises(CamappError, match="not available"):
        p.set_input_size(123)
    with pytest.raises(CamappError):
        p.set_threshold(1.5)
    with pytest.raises(CamappError):
        p.set_input_size("auto", target_fps=0)
    p.stop()  # never started: still closes the source cleanly


def test_open_failure_in_the_capture_thread_ends_in_error(detector, tmp_path):
    from camapp.sources import make_source

    p = Pipeline(make_source(str(tmp_path / "gone.mp4")), detector, open_source=True)
    p.start()
    assert p.wait(10)
    p.stop()
    assert p.stats.state == "error" and "video file not found" in p.stats.message


def test_live_input_size_switch_applies_without_restarting(model_store):
    from camapp.detect import open_detector

    detector = open_detector(threshold=0.4, input_sizes=[300, 176], input_size=300)
    try:
        src = open_source(str(need(PERSON_CLIP)), realtime=False)
        sink = Collect()
        p = Pipeline(src, detector, [sink], max_frames=300)
        p.on_result(lambda r: r.frame.index == 40 and p.set_input_size(176))
        run(p)
    finally:
        detector.close()
    sizes = [r.stats.input_size for r in sink.results]
    assert set(sizes[:41]) == {300}
    switched = sizes.index(176)
    assert set(sizes[switched:]) == {176}  # once built, the new rung holds: no restart, no flapping
    assert [r.frame.index for r in sink.results] == list(range(300))
    late = sink.results[switched:]
    assert sum("person" in r.detections.labels for r in late) > len(late) // 4
    for r in late:  # boxes still in full-frame pixels
        assert np.all(r.detections.boxes[:, 2] <= 768.01) and np.all(r.detections.boxes[:, 3] <= 432.01)


def test_set_threads_is_live_or_refused_up_front(detector):
    src = open_source(str(need(PERSON_CLIP)), realtime=False)
    p = Pipeline(src, detector, max_frames=20)
    if callable(getattr(detector, "set_threads", None)):
        p.set_threads(1)
        run(p)
        assert detector.threads == 1 and p.stats.frames == 20
    else:
        with pytest.raises(CamappError, match="thread count"):
            p.set_threads(1)
        p.stop()


def test_no_realtime_waits_for_a_slow_lossless_consumer_instead_of_queueing_without_bound(detector):
    """Files read as fast as possible: a slow recorder slows the pipeline, loses nothing, and its
    queue (memory) stays bounded."""
    from camapp.pipeline.core import MAX_BACKLOG

    class SlowLossless(Worker):
        def __init__(self):
            super().__init__("slow-lossless", queue_size=0)
            self.seen, self.most_queued = [], 0
            self._start()

        def _handle(self, result):
            self.most_queued = max(self.most_queued, self.backlog)
            time.sleep(0.03)
            self.seen.append(result.frame.index)

    slow = SlowLossless()
    src = open_source(str(need(PERSON_CLIP)), realtime=False)
    p = Pipeline(src, detector, [slow], max_frames=80)
    run(p)
    assert slow.seen == list(range(80)) and slow.dropped == 0 and p.stats.dropped == 0
    assert slow.most_queued <= MAX_BACKLOG + 1


def test_the_capture_thread_makes_the_input_tensor(detector):
    """Inference only invokes: every frame reaches infer() with the tensor the capture thread
    made, and its boxes are decoded on the delivery thread."""
    seen: list[tuple[str, tuple[int, ...] | None]] = []
    decoded: list[str] = []
    infer = detector.infer

    def spy(image, tensor=None):
        seen.append((threading.current_thread().name, None if tensor is None else tensor.shape))
        decode = infer(image, tensor)
        return lambda: (decoded.append(threading.current_thread().name), decode())[1]

    made: list[str] = []
    make = detector.input_tensor

    def spy_make(image):
        made.append(threading.current_thread().name)
        return make(image)

    detector.infer, detector.input_tensor = spy, spy_make
    src = open_source(str(need(PERSON_CLIP)), realtime=False)
    run(Pipeline(src, detector, [], max_frames=20))
    size = detector.input_size
    assert seen == [("camapp-inference", (1, size, size, 3))] * 20
    assert set(made) == {"camapp-capture"} and len(made) >= 20
    assert decoded == ["camapp-deliver"] * 20


def test_a_failure_on_the_delivery_thread_ends_the_run_in_error_not_a_hang(detector):
    """Decoding and handing on run on the delivery thread; if they fail, the run must end."""

    class BrokenProbe:  # a consumer whose backlog probe fails (a foreign consumer's bug)
        def submit(self, result):
            pass

        def close(self):
            pass

        @property
        def backlog(self):
            raise RuntimeError("backlog probe failed")

    p = Pipeline(open_source(str(need(PERSON_CLIP)), realtime=False), detector, [BrokenProbe()])
    run(p, timeout=30)
    assert p.stats.state == "error" and "backlog probe failed" in p.stats.message
    assert not any(t.is_alive() for t in p._threads)


def test_a_decoding_failure_keeps_the_results_before_it_in_order(detector):
    infer, calls = detector.infer, []

    def failing_infer(image, tensor=None):  # injected failure in the decode step of frame 12
        decode = infer(image, tensor)
        calls.append(1)
        if len(calls) == 13:
            return lambda: (_ for _ in ()).throw(ValueError("corrupt output tensor"))
        return decode

    detector.infer = failing_infer
    sink = Collect()
    p = Pipeline(open_source(str(need(PERSON_CLIP)), realtime=False), detector, [sink])
    run(p, timeout=30)
    assert p.stats.state == "error" and "corrupt output tensor" in p.stats.message
    assert [r.frame.index for r in sink.results] == list(range(12))
