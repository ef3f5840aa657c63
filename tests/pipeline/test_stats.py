"""Stats arithmetic: percentiles match numpy's, rates cover a sliding window."""

import numpy as np
import pytest

from camapp.pipeline.stats import RateWindow, StatsMeter, percentile


@pytest.mark.parametrize(
    "values", [[5.0], [1.0, 2.0], [3.0, 1.0, 2.0, 10.0], list(np.random.default_rng(1).random(60))]
)
def test_percentile_matches_numpy(values):
    ordered = sorted(values)
    for q in (50, 95):
        assert percentile(ordered, q) == pytest.approx(float(np.percentile(values, q)))
    assert percentile([], 50) == 0.0


def test_rate_window_counts_recent_events_only():
    w = RateWindow(2.0)
    for i in range(21):
        w.tick(10.0 + i * 0.1)  # 10 events/s for 2 s
    assert w.rate(12.0) == pytest.approx(10.0)
    assert w.rate(20.0) == 0.0  # all fell out: a stalled source reads 0, not its old rate


def test_meter_snapshot():
    m = StatsMeter()
    for ms in (10.0, 20.0, 30.0):
        m.processed(ms, ms * 2, 300)
    m.drop(2)
    s = m.snapshot()
    assert (s.infer_ms, s.latency_ms, s.frames, s.dropped, s.input_size) == (20.0, 40.0, 3, 2, 300)
    assert s.infer_ms_p95 == pytest.approx(29.0)


def test_detection_off_shows_in_the_snapshot_and_the_line():
    m = StatsMeter()
    m.processed(10.0, 20.0, 300)
    assert m.snapshot().detecting and "detection off" not in m.snapshot().line()
    m.detecting = False
    m.predicted(5.0)
    s = m.snapshot()
    assert not s.detecting and s.line().endswith(" | detection off") and (s.frames, s.predicted) == (2, 1)
