"""Frame-parallel lanes: single-thread twins of one detector that share its settings."""

import pytest

from camapp.detect import open_detector
from camapp.detect.lanes import Lanes
from camapp.errors import CamappError


@pytest.fixture()
def lanes(model_store):
    first = open_detector(threads=1, threshold=0.4, input_sizes=[300, 240], background=False)
    lanes = Lanes(first, 2)
    yield lanes
    lanes.close()


def test_every_lane_finds_what_a_many_thread_detector_finds(lanes, image):
    many = open_detector(threads=2, threshold=0.4, input_sizes=[300, 240], background=False)
    try:
        assert len(lanes.lanes) == 2 and lanes.lanes[0] is not lanes.lanes[1]
        assert all(lane.threads == 1 for lane in lanes.lanes) and lanes.threads == 1
        for name in ("kite_and_cold.jpg", "grace_hopper.bmp"):
            img = image(name)
            want = many.detect(img)
            assert len(want) > 0
            for lane in lanes.lanes:
                got = lane.detect(img, lanes.input_tensor(img))
                assert got.labels == want.labels
                assert abs(got.boxes - want.boxes).max() < 0.5  # same pixels, whatever the threads
    finally:
        many.close()


def test_settings_reach_every_lane(lanes, image):
    img = image("kite_and_cold.jpg")
    lanes.threshold = 0.9
    lanes.classes = frozenset({0})
    lanes.set_input_size(240)
    lanes.prepare([240])
    for lane in lanes.lanes:
        assert lane.threshold == 0.9 and lane.classes == frozenset({0})
        lane.detect(img)
        assert lane.input_size == 240
    assert lanes.input_size == 240 and lanes.input_sizes == (300, 240)


def test_a_detector_that_cannot_be_twinned_is_refused_with_the_way_out():
    class OneDevice:  # an accelerator: one device, so no second interpreter on it
        device = "edgetpu"
        closed = False

        def close(self):
            self.closed = True

    device = OneDevice()
    with pytest.raises(CamappError, match="--schedule latency"):
        Lanes(device, 2)
    assert device.closed  # lanes own the detector they were given, also when they fail
