"""Rungs of the resolution multiplier: built once, cached, the others built in the background."""

from __future__ import annotations

import threading

import numpy as np
import pytest

from camapp.detect import open_detector
from camapp.detect.cpu import DEFAULT_LADDER, TFLiteDetector, ladder_for


def test_open_detector_defaults_to_the_ladder(model_store, image):
    det = open_detector(threshold=0.5, threads=2)
    try:
        assert det.input_sizes == DEFAULT_LADDER
        assert det.input_size == 300
        det.prepare()  # the background thread builds every rung
        assert det.ready_sizes == DEFAULT_LADDER
        assert set(det.build_ms) == set(DEFAULT_LADDER)
        img = image("cat.bmp")
        for size in DEFAULT_LADDER[:-1]:  # the smallest rung is too coarse for this cat at 0.5
            det.set_input_size(size)
            dets = det.detect(img)
            assert det.input_size == size
            assert "cat" in dets.labels, size
    finally:
        det.close()


def test_ladder_for_stays_below_the_native_size(ssd_model):
    assert ladder_for(ssd_model) == DEFAULT_LADDER
    assert ladder_for(ssd_model, (320, 300, 200)) == (300, 200)


def test_detect_keeps_the_current_rung_until_the_requested_one_is_built(ssd_model, names, image):
    """The build of rung 112 is held at a gate (real build, only its timing is controlled)."""
    det = TFLiteDetector(ssd_model, names, threads=2, threshold=0.5, background=False)
    gate = threading.Event()
    real_build = det._build

    def gated(size):
        gate.wait(30)
        return real_build(size)

    det._build = gated
    try:
        img = image("cat.bmp")
        det.set_input_size(112)
        for _ in range(3):
            dets = det.detect(img)  # must not block on the build
            assert det.input_size == 300 and "cat" in dets.labels
        assert 112 not in det.ready_sizes
        gate.set()
        det.prepare([112])
        det.detect(img)
        assert det.input_size == 112
    finally:
        gate.set()
        det.close()


def test_switching_back_reuses_the_cached_interpreter(ssd_model, names, image):
    det = TFLiteDetector(ssd_model, names, threads=2, input_sizes=[300, 176])
    try:
        det.prepare()
        first = {s: det._interpreter_for(s) for s in det.input_sizes}
        img = image("pets.jpg")
        for size in (176, 300, 176, 300):
            det.set_input_size(size)
            det.detect(img)
            assert det.input_size == size
            assert det._interpreter_for(size) is first[size]
    finally:
        det.close()


def test_set_input_size_from_another_thread_while_detecting(ssd_model, names, image):
    det = TFLiteDetector(ssd_model, names, threads=2, input_sizes=[300, 240, 176, 112], threshold=0.3)
    img = image("grace_hopper.bmp")
    errors: list[BaseException] = []
    stop = threading.Event()

    def switcher():
        try:
            while not stop.is_set():
                for size in det.input_sizes:
                    det.set_input_size(size)
        except BaseException as exc:  # noqa: BLE001 - surfaced by the assert below
            errors.append(exc)

    t = threading.Thread(target=switcher)
    t.start()
    try:
        seen = set()
        for _ in range(40):
            dets = det.detect(img)
            seen.add(det.input_size)
            assert det.input_size in det.input_sizes
            assert len(dets) >= 0
    finally:
        stop.set()
        t.join()
        det.close()
    assert not errors
    assert len(seen) > 1


def test_a_closed_detector_stops_building(ssd_model, names):
    det = TFLiteDetector(ssd_model, names, threads=2)
    det.close()
    assert det._worker is None or not det._worker.is_alive()


def test_bench_rungs_times_every_rung(ssd_model, names, image):
    """Only the shape of the result: speed itself is compared by the benchmark, not by a test."""
    from camapp.detect.timing import bench_rungs

    det = TFLiteDetector(ssd_model, names, threads=2, input_sizes=[300, 144])
    try:
        result = bench_rungs(det, image("cat.bmp"), runs=2, rounds=1)
    finally:
        det.close()
    assert set(result) == {300, 144} and all(ms > 0 for ms in result.values())


def test_set_threads_rebuilds_every_rung_while_detect_keeps_running(ssd_model, names, image):
    det = TFLiteDetector(ssd_model, names, threads=2, input_sizes=[300, 176], threshold=0.5)
    try:
        det.prepare()
        old = {s: det._interpreter_for(s) for s in det.input_sizes}
        img = image("cat.bmp")
        det.set_threads(1)
        assert "cat" in det.detect(img).labels  # runs on the old or the new interpreter, never blocks
        det.prepare()
        assert det.threads == 1
        assert all(det._interpreter_for(s) is not old[s] for s in det.input_sizes)
        assert "cat" in det.detect(img).labels
    finally:
        det.close()


def test_a_failed_background_build_is_reported_not_hung(ssd_model, names, image):
    """The build of rung 176 raises (a bug-shaped failure injected at `_build`): prepare and
    set_input_size report it as a user-facing error, and detect keeps running."""
    from camapp.errors import CamappError

    det = TFLiteDetector(ssd_model, names, threads=2, input_sizes=[300, 176], background=False)
    real_build = det._build

    def broken(size):
        if size == 176:
            raise RuntimeError("boom\nsecond line")
        return real_build(size)

    det._build = broken
    try:
        det.set_input_size(176)
        with pytest.raises(CamappError, match="building input size 176 failed: boom$"):
            det.prepare([176], timeout=30)
        with pytest.raises(CamappError, match="boom"):
            det.set_input_size(176)
        det.detect(image("cat.bmp"))
        assert det.input_size == 300
    finally:
        det.close()


@pytest.fixture()
def two_rungs(ssd_model, names):
    det = TFLiteDetector(ssd_model, names, input_sizes=(300, 176), threshold=0.3)
    det.prepare()
    yield det
    det.close()


def test_a_tensor_made_ahead_gives_the_same_detections(two_rungs, image):
    """The pipeline's capture thread makes the input tensor; detect(image, tensor) must equal detect(image)."""
    det, img = two_rungs, image("pets.jpg")
    for size in (300, 176):
        det.set_input_size(size)
        tensor = det.input_tensor(img)
        assert tensor.shape == (1, size, size, 3) and tensor.dtype == np.uint8
        ahead, fresh = det.detect(img, tensor), det.detect(img)
        assert ahead.labels == fresh.labels and len(fresh) >= 2
        np.testing.assert_array_equal(ahead.boxes, fresh.boxes)  # boxes in the full photo's pixels
        np.testing.assert_array_equal(ahead.scores, fresh.scores)


def test_a_tensor_made_before_a_rung_switch_is_remade(two_rungs, image):
    det, img = two_rungs, image("pets.jpg")
    stale = det.input_tensor(img)  # 300x300
    det.set_input_size(176)
    dets = det.detect(img, stale)
    assert det.input_size == 176
    np.testing.assert_array_equal(dets.boxes, det.detect(img).boxes)
    # a tensor of the right shape but another image would be used as is: the shape is the contract
    other = det.input_tensor(image("cat.bmp"))
    assert "cat" in det.detect(img, other).labels
