"""The pipeline with frame-parallel lanes, on the real clips with the real model."""

import numpy as np
import pytest
from conftest import BOTTLE_CLIP, PERSON_CLIP, need

from camapp.detect import open_detector
from camapp.detect.lanes import Lanes
from camapp.pipeline import Pipeline
from camapp.sources import open_source
from tests.pipeline.test_core import Collect, run


@pytest.fixture()
def lanes(model_store):
    lanes = Lanes(open_detector(threads=1, threshold=0.4, background=False), 2)
    yield lanes
    lanes.close()


def test_lanes_deliver_every_frame_once_in_order_with_its_own_detections(lanes, detector):
    src = open_source(str(need(PERSON_CLIP)), realtime=False)
    sink = Collect()
    p = Pipeline(src, lanes, [sink], max_frames=90)
    seen: list[int] = []
    p.on_result(lambda r: seen.append(r.frame.index))
    run(p)
    assert [t.name for t in p._threads[1:]] == ["camapp-inference", "camapp-inference-1", "camapp-deliver"]
    indices = [r.frame.index for r in sink.results]
    assert indices == list(range(90)) and seen == indices
    assert p.stats.frames == 90 and p.stats.dropped == 0 and p.stats.state == "ended"
    people = 0
    for r in sink.results[::3]:  # each result is its own frame's: a 2-thread detector agrees
        want = detector.detect(r.frame.image)
        assert r.detections.labels == want.labels
        assert np.allclose(r.detections.boxes, want.boxes, atol=0.5)
        people += "person" in want.labels
    assert people > 5


def test_lanes_in_real_time_drop_stale_frames_and_keep_order(lanes):
    src = open_source(str(need(BOTTLE_CLIP)), realtime=False)  # decodes faster than inference
    sink = Collect()
    p = Pipeline(src, lanes, [sink], realtime=True)
    run(p)
    indices = [r.frame.index for r in sink.results]
    assert p.stats.dropped > 0 and p.stats.frames + p.stats.dropped == 1189
    assert indices == sorted(set(indices)) and indices[-1] == 1188


def test_a_live_threshold_change_reaches_every_lane(lanes):
    src = open_source(str(need(BOTTLE_CLIP)), realtime=False)
    sink = Collect()
    p = Pipeline(src, lanes, [sink], max_frames=80)
    p.on_result(lambda r: r.frame.index == 20 and p.set_threshold(0.99))
    run(p)
    assert len(sink.results) == 80 and any(len(r.detections) for r in sink.results[:20])
    assert all(len(r.detections) == 0 for r in sink.results[30:])  # a frame or two may be in flight


def test_a_lane_that_fails_ends_the_run_in_error_without_hanging(lanes):
    broken = lanes.lanes[1]
    real = broken.infer
    calls = []

    def infer(image, tensor=None):
        calls.append(1)
        if len(calls) == 10:
            raise RuntimeError("interpreter crashed")
        return real(image, tensor)

    broken.infer = infer  # injected failure in one lane; the other lane and the model are real
    src = open_source(str(need(PERSON_CLIP)), realtime=False)
    sink = Collect()
    p = Pipeline(src, lanes, [sink])
    run(p, timeout=30)
    assert p.stats.state == "error" and "interpreter crashed" in p.stats.message
    indices = [r.frame.index for r in sink.results]
    assert indices == list(range(len(indices))) and len(indices) < 200
