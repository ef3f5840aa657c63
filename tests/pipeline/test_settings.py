"""Live settings between frames, with the real detector's lanes."""

import threading

import pytest

from camapp.detect import open_detector
from camapp.detect.lanes import Lanes
from camapp.errors import CamappError
from camapp.pipeline.settings import LiveSettings


@pytest.fixture()
def lanes(model_store):
    lanes = Lanes(open_detector(threads=1, input_sizes=[300, 240], background=False), 2)
    yield lanes
    lanes.close()


def test_requests_wait_for_apply_and_reach_every_lane(lanes):
    settings = LiveSettings(lanes, lambda: 10.0)
    settings.set_threshold(0.8)
    settings.set_classes({0})
    settings.set_input_size(240)
    assert all(lane.threshold == 0.5 and lane.classes is None for lane in lanes.lanes)  # not yet
    assert settings.apply() is False  # the thread count did not change
    assert all(lane.threshold == 0.8 and lane.classes == frozenset({0}) for lane in lanes.lanes)
    assert [lane._requested for lane in lanes.lanes] == [240, 240]
    settings.set_input_size("auto")
    assert settings.auto and settings.policy is None  # asked for, not applied yet
    settings.apply()
    assert settings.policy is not None and settings.policy.target == 10.0  # the source's rate


def test_bad_requests_are_refused_at_once(lanes):
    settings = LiveSettings(lanes, lambda: None)
    for call, match in [
        (lambda: settings.set_input_size(123), "not available; choose one of 300, 240 or auto"),
        (lambda: settings.set_input_size("auto", target_fps=0), "must be positive"),
        (lambda: settings.set_threshold(1.5), "between 0 and 1"),
        (lambda: settings.set_threads(2), "cannot change its thread count"),  # lanes are fixed
    ]:
        with pytest.raises(CamappError, match=match):
            call()


def test_a_fixed_size_chosen_while_a_lane_follows_the_auto_policy_wins(lanes):
    """Leaving auto for a fixed size must stick even when another lane is inside the auto policy
    at that moment: that lane must not switch the rung afterwards. The interleaving is forced:
    lane A is held inside the policy while lane B applies the user's choice."""
    settings = LiveSettings(lanes, lambda: None)
    settings.set_input_size("auto", target_fps=1000)
    settings.apply()
    entered, proceed = threading.Event(), threading.Event()

    def held_update(size, fps):  # the policy wants 240, but first holds lane A inside it
        entered.set()
        proceed.wait(5)
        return 240

    settings.policy.update = held_update  # type: ignore[union-attr]

    def lane_b():
        settings.set_input_size(300)  # the user's click...
        settings.apply()  # ...taken up by lane B at its next frame

    a = threading.Thread(target=settings.follow_policy, args=(300, 50.0))
    a.start()
    assert entered.wait(5)
    b = threading.Thread(target=lane_b)
    b.start()
    b.join(0.3)
    proceed.set()
    a.join(5)
    b.join(5)
    assert not settings.auto
    assert [lane._requested for lane in lanes.lanes] == [300, 300]
