"""The auto rung policy, fed with per-rung rates so its decisions are deterministic."""

import pytest

from camapp.pipeline.policy import RungPolicy

LADDER = (128, 160, 192, 224, 256, 300)


def drive(policy: RungPolicy, rates: dict[int, float], steps: int) -> list[int]:
    """Feed the rate measured at whichever rung the policy chose; return the rung per step."""
    seen = []
    for _ in range(steps):
        size = policy.current
        policy.update(size, rates[size])
        seen.append(policy.current)
    return seen


# measured on this model: time grows with pixels plus a fixed overhead (so area scaling is optimistic)
def rates_for(ms_at_300: float, overhead_ms: float = 2.0) -> dict[int, float]:
    return {s: 1000.0 / (overhead_ms + (ms_at_300 - overhead_ms) * (s / 300) ** 2) for s in LADDER}


def test_holds_the_largest_rung_that_meets_the_target():
    rates = rates_for(60.0)  # 300 -> 16.7 fps, 224 -> ~28.6, 192 -> ~37
    policy = RungPolicy(LADDER, target_fps=25.0)
    trail = drive(policy, rates, 400)
    assert trail[-1] == 224
    assert rates[224] >= 25.0 * 0.95 and rates[256] < 25.0 * 1.15
    assert len(set(trail[-300:])) == 1  # settled: no oscillation


def test_stays_at_the_top_when_fast_enough():
    policy = RungPolicy(LADDER, target_fps=10.0)
    trail = drive(policy, rates_for(20.0), 200)
    assert set(trail) == {300} and policy.switches == 0


def test_borderline_rung_does_not_oscillate():
    """A rung just under target and the next one far above it: hysteresis keeps switches rare."""
    rates = {128: 80.0, 160: 60.0, 192: 45.0, 224: 35.0, 256: 27.0, 300: 22.0}
    policy = RungPolicy(LADDER, target_fps=30.0, reprobe=100)
    trail = drive(policy, rates, 3000)
    assert trail[-1] == 224
    # 256 predicts 35*(224/256)^2 = 26.8 < 30*1.15 from area alone, and measured 27: never retried
    switches_late = sum(1 for a, b in zip(trail[500:], trail[501:]) if a != b)
    assert switches_late == 0


def test_failed_probes_back_off_exponentially():
    """Area scaling says the bigger rung would be fast enough, measurement says no: re-tries get rarer."""
    rates = {128: 200.0, 160: 150.0, 192: 120.0, 224: 26.0, 256: 25.0, 300: 20.0}
    policy = RungPolicy(LADDER, target_fps=30.0, reprobe=50, settle=5)
    trail = drive(policy, rates, 4000)
    probes = [i for i, (a, b) in enumerate(zip(trail, trail[1:])) if a == 192 and b == 224]
    assert len(probes) >= 3
    gaps = [b - a for a, b in zip(probes, probes[1:])]
    assert all(later > earlier for earlier, later in zip(gaps, gaps[1:]))
    assert sum(1 for s in trail if s == 224) < 0.05 * len(trail)  # mostly at the rung that holds 30


def test_recovers_when_the_load_goes_away():
    policy = RungPolicy(LADDER, target_fps=25.0, reprobe=100)
    drive(policy, rates_for(80.0), 300)  # heavy contention
    low = policy.current
    trail = drive(policy, rates_for(20.0), 1500)  # contention gone
    assert low < 300 and trail[-1] == 300


def test_ignores_measurements_from_before_a_switch():
    policy = RungPolicy(LADDER, target_fps=30.0, settle=3)
    for _ in range(3):
        policy.update(300, 10.0)
    assert policy.current == 256
    for _ in range(10):
        assert policy.update(300, 10.0) == 256  # late frames still at 300 change nothing


def test_rejects_nonsense():
    with pytest.raises(ValueError):
        RungPolicy((), 30.0)
    with pytest.raises(ValueError):
        RungPolicy(LADDER, 0.0)


def test_within_slack_of_the_target_is_good_enough():
    """29 fps for a 30 fps target is inside the 5% slack: no step down for a hair."""
    rates = {128: 80.0, 160: 60.0, 192: 45.0, 224: 35.0, 256: 29.0, 300: 22.0}
    policy = RungPolicy(LADDER, target_fps=30.0)
    assert drive(policy, rates, 500)[-1] == 256


def test_a_rejected_rung_is_never_chosen_again():
    rates = {128: 80.0, 160: 60.0, 192: 45.0, 224: 35.0, 256: 27.0, 300: 22.0}
    policy = RungPolicy(LADDER, target_fps=30.0, settle=3)
    drive(policy, rates, 3)
    assert policy.current == 256
    policy.reject(256, 300)  # e.g. its rewrite failed to build
    trail = drive(policy, rates, 300)
    assert 256 not in trail and trail[-1] == 224
