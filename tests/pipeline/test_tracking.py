"""`TrackingPipeline` on the real clips with the real model: ROI, detect-every, predicted frames."""

import time

import numpy as np
import pytest
from conftest import BOTTLE_CLIP, PERSON_CLIP, need

from camapp.errors import CamappError
from camapp.pipeline import Result
from camapp.pipeline.handoff import END
from camapp.pipeline.tracking import Predict, PredictQueue, TrackingPipeline
from camapp.sources import open_source
from camapp.track import Roi, TrackStage, open_tracker
from camapp.types import Frame


class Collect:
    def __init__(self) -> None:
        self.results: list[Result] = []

    def submit(self, result: Result) -> None:
        self.results.append(result)

    def close(self) -> None:
        pass


def run(p: TrackingPipeline, timeout: float = 120.0) -> None:
    p.start()
    assert p.wait(timeout), "pipeline did not finish"
    p.stop()


def test_roi_boxes_land_in_source_pixels_as_the_crop_run_by_hand(detector):
    roi = Roi.parse("0.3,0.05,0.95,1")
    sink = Collect()
    run(
        TrackingPipeline(
            open_source(str(need(PERSON_CLIP)), realtime=False), detector, [sink], roi=roi, max_frames=120
        )
    )
    by_hand = open_source(str(PERSON_CLIP), realtime=False)
    compared = 0
    try:
        for r in sink.results:
            frame = by_hand.read()
            assert frame is not None and frame.index == r.frame.index
            if r.frame.index % 10:
                continue
            crop_dets = detector.detect(np.ascontiguousarray(roi.crop(frame.image)))
            x0, y0, _, _ = roi.pixels(frame.image.shape)
            expected = crop_dets.boxes + np.array([x0, y0, x0, y0], np.float32)
            assert r.detections.class_ids.tolist() == crop_dets.class_ids.tolist()
            np.testing.assert_allclose(r.detections.boxes, expected, atol=0.5)
            compared += len(expected)
    finally:
        by_hand.close()
    assert compared >= 5  # people were in the region on the frames compared
    people = [r for r in sink.results if "person" in r.detections.labels]
    assert all(r.detections.boxes[:, 0].min() >= x0 - 0.5 for r in people)  # never left of the crop


def test_detect_every_3_predicts_the_frames_between_with_ids(detector):
    detector.classes = frozenset({43})  # bottle
    sink = Collect()
    stage = TrackStage(open_tracker(fps=30))
    p = TrackingPipeline(
        open_source(str(need(BOTTLE_CLIP)), realtime=False),
        detector,
        [sink],
        stage=stage,
        detect_every=3,
        max_frames=90,
    )
    run(p)
    assert [r.frame.index for r in sink.results] == list(range(90))
    predicted = [r.track.predicted for r in sink.results]
    assert predicted == [i % 3 != 0 for i in range(90)]
    assert p.stats.predicted == 60 and p.stats.frames == 90
    boxed = [r for r in sink.results[3:] if len(r.detections)]
    assert len(boxed) >= 80  # boxes on (nearly) every frame, not one in three
    for r in sink.results:
        assert r.detections.predicted.tolist() == [r.track.predicted] * len(r.detections)
    # the capture thread makes the network input for the frames the detector will see only
    image = sink.results[0].frame.image
    made = [p._prepare(Frame(image, time.monotonic(), 100 + i))[1] is not None for i in range(6)]
    assert sum(made) == 2 and made.index(True) + 3 == len(made) - made[::-1].index(True) - 1


def test_predict_queue_keeps_stale_frames_as_predict_only_and_bounds_them():
    q = PredictQueue(1, drop=True, backlog=3)
    frames = [Frame(np.zeros((2, 2, 3), np.uint8), time.monotonic(), i) for i in range(6)]
    dropped = sum(q.put((f, None)) for f in frames)
    items = [q.get() for _ in range(4)]
    assert dropped == 2  # frames 0 and 1: past the backlog
    assert [type(i).__name__ for i in items] == ["Predict", "Predict", "Predict", "tuple"]
    assert [i.frame.index if isinstance(i, Predict) else i[0].index for i in items] == [2, 3, 4, 5]


def test_a_frame_after_the_end_marker_leaves_the_marker_alone():
    """Stopping: the queue halts, a lane puts END back for the others, and the capture thread may
    still put the frame it was reading (a SIGTERM early in `camapp run --track` failed here)."""
    q = PredictQueue(1, drop=True)
    q.halt()
    assert q.get() is END
    q.put(END, force=True)  # what an inference lane does with the END it took
    frame = Frame(np.zeros((2, 2, 3), np.uint8), time.monotonic(), 0)
    assert q.put((frame, None)) == 0
    assert q.get() is END


def test_detect_every_needs_a_stage(detector):
    src = open_source(str(need(PERSON_CLIP)), realtime=False)
    try:
        with pytest.raises(ValueError, match="needs a tracking stage"):
            TrackingPipeline(src, detector, detect_every=2)
    finally:
        src.close()


def test_a_slow_consumer_in_real_time_gets_predicted_frames_not_gaps(detector):
    """Real time on the 30 fps bottle clip with delivery slowed to ~12 fps (a sleeping callback):
    frames that wait are handed on predicted instead of being dropped, in order, never blocking
    capture (drops only past the backlog)."""
    detector.classes = frozenset({43})
    sink = Collect()
    p = TrackingPipeline(
        open_source(str(need(BOTTLE_CLIP)), realtime=True),
        detector,
        [sink],
        stage=TrackStage(open_tracker(fps=30)),
    )
    p.on_result(lambda r: time.sleep(0.08 if not r.track.predicted else 0.0))
    p.start()
    time.sleep(4.0)
    p.stop()
    indices = [r.frame.index for r in sink.results]
    assert indices == sorted(indices) and len(set(indices)) == len(indices)
    stats = p.stats
    assert stats.predicted > 0 and stats.frames == len(sink.results)
    predicted = [r for r in sink.results if r.track.predicted]
    assert len(predicted) == stats.predicted
    assert sum(len(r.detections) for r in predicted) > 0  # bottles drawn on frames not detected


def test_under_a_tracker_the_detector_keeps_low_boxes_and_the_tracker_has_the_threshold(detector):
    """The television in the person clip scores around 0.5: with the detector at the tracker's
    `low` and the tracker holding the threshold it keeps one id (it had 14 ids before)."""
    detector.classes = frozenset({detector.names.index("tv")})
    detector.threshold = 0.5
    sink = Collect()
    stage = TrackStage(open_tracker(fps=10))
    p = TrackingPipeline(
        open_source(str(need(PERSON_CLIP)), realtime=False), detector, [sink], stage=stage, max_frames=400
    )
    p.set_threshold(0.6)
    assert stage.tracker.threshold == 0.6
    p.set_threshold(0.5)
    during: list[float] = []
    p.on_result(lambda r: during.append(detector.threshold))
    run(p)
    assert during and all(t == pytest.approx(0.25) for t in during)  # applied before the first frame
    assert detector.threshold == 0.5  # and given back at the end
    shown = [r for r in sink.results if len(r.detections)]
    scores = np.concatenate([r.detections.scores for r in shown])
    assert scores.min() < 0.5 <= scores.max()  # continued below the threshold, started above it
    assert stage.distinct() == {"tv": 1}
    low = [r.detections.track_ids[r.detections.scores < 0.5] for r in shown]
    assert all((ids > 0).all() for ids in low)  # a low box is shown only when it continues an object


def test_the_detector_gets_its_threshold_back_when_the_pipeline_stops(detector):
    detector.threshold = 0.5
    p = TrackingPipeline(
        open_source(str(need(BOTTLE_CLIP)), realtime=False),
        detector,
        stage=TrackStage(open_tracker(fps=30)),
        max_frames=5,
    )
    run(p)
    assert detector.threshold == 0.5


def test_tracking_switched_off_mid_run_hands_on_plain_boxes_at_the_threshold(detector):
    """`set_stage(None)` while frames are in flight: from then on no tracking info, no predicted
    frame, and no box decoded at the tracker's lower score (the detector's request is raised)."""
    detector.threshold = 0.5
    sink = Collect()
    p = TrackingPipeline(
        open_source(str(need(PERSON_CLIP)), realtime=False),
        detector,
        [sink],
        stage=TrackStage(open_tracker(fps=10)),
        detect_every=2,
        max_frames=500,
    )
    thresholds: list[float] = []
    p.on_result(lambda r: thresholds.append(detector.threshold))
    p.start()
    deadline = time.monotonic() + 60
    while len(sink.results) < 250 and time.monotonic() < deadline:
        time.sleep(0.01)
    p.set_stage(None)
    switched = len(sink.results)
    assert p.wait(120)
    p.stop()
    before, after = sink.results[:switched], sink.results[switched + 4 :]  # a few were in flight
    assert any(r.track is not None and r.track.predicted for r in before)
    assert thresholds[switched - 1] == pytest.approx(0.25) and thresholds[-1] == 0.5  # raised again
    assert len(after) > 100
    assert all(r.track is None and r.detections.track_ids is None for r in after)
    assert all(not len(r.detections) or r.detections.scores.min() >= 0.5 for r in after)
    assert detector.threshold == 0.5


def test_a_stage_switched_on_gets_the_users_threshold_before_any_frame(detector):
    source = open_source(str(need(BOTTLE_CLIP)), realtime=False)
    p = TrackingPipeline(source, detector)
    try:
        p.set_threshold(0.8)
        stage = TrackStage(open_tracker(fps=30))  # a tracker starts at 0.5
        p.set_stage(stage)
        assert stage.tracker.threshold == 0.8 and p._settings._pending["threshold"] == pytest.approx(0.4)
        p.set_stage(None)
        assert p._settings._pending["threshold"] == 0.8
        with pytest.raises(CamappError):
            p.set_threshold(1.5)
        assert p._threshold == 0.8
    finally:
        source.close()


class Invokes:
    """Counts the detector's inferences (each still runs the real model)."""

    def __init__(self, detector) -> None:
        self.n = 0
        infer = detector.infer

        def counted(image, tensor=None):
            self.n += 1
            return infer(image, tensor)

        detector.infer = counted


@pytest.mark.parametrize("tracking", [True, False], ids=["tracked", "untracked"])
def test_detection_switched_off_runs_no_inference_hands_on_no_boxes_and_ends_the_objects(detector, tracking):
    """`set_detect(False)` while an object is in view: from then on no invoke and no box (not
    predicted, not held), frames keep coming, the objects end after their linger as objects
    that leave do; `set_detect(True)` brings inference and boxes back."""
    invokes = Invokes(detector)
    sink = Collect()
    p = TrackingPipeline(
        open_source(str(need(PERSON_CLIP)), realtime=False),
        detector,
        [sink],
        stage=TrackStage(open_tracker(fps=10)) if tracking else None,
        max_frames=220,
    )
    p.objects.linger = 1.0  # 10 frames of the 10 fps clip
    seen: list[tuple[int, int, bool]] = []  # (result number, invokes so far, open objects)
    switched: dict[str, int] = {}

    def each(r: Result) -> None:
        n = len(seen)
        seen.append((n, invokes.n, bool(p.objects.open)))
        if "off" not in switched and p.objects.open and n >= 20:
            p.set_detect(False)
            switched["off"] = n
        elif "off" in switched and "on" not in switched and n >= switched["off"] + 100:
            p.set_detect(True)
            switched["on"] = n

    p.on_result(each)
    run(p)
    off, on = switched["off"], switched["on"]  # an object was in view at the switch
    quiet = sink.results[off + 5 : on]  # a few frames were planned before the switch
    assert len(quiet) == on - off - 5 and len(sink.results) == 220  # every frame went on
    assert seen[off + 5][1] == seen[on - 1][1]  # not one invoke while off
    assert all(not len(r.detections) and not r.stats.detecting for r in quiet)
    ends = [e for r in quiet for e in (r.objects.events if r.objects else ()) if e.type == "end"]
    assert ends and all(e.t - e.last_seen == pytest.approx(1.0, abs=0.11) for e in ends)
    assert not any(is_open for _, _, is_open in seen[off + 20 : on])  # all ended within the linger
    assert not any(e.type == "start" for r in quiet for e in (r.objects.events if r.objects else ()))
    after = sink.results[on + 5 :]
    assert seen[-1][1] > seen[on][1] + 80  # inference resumed
    assert all(r.stats.detecting for r in after) and any(len(r.detections) for r in after)
    if tracking:
        assert all(r.track is not None for r in quiet)  # the tracker saw empty frames: its objects were lost
