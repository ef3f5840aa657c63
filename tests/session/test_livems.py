"""The rung that runs replaces its start-up estimate with the stream's own median.

Unit tests drive `LiveRungs` with real `Stats` snapshots; the session test runs the real model on
the shared bottle clip and checks that the ladder's figure for the running rung becomes the live
median, while the rungs that never ran keep their start-up estimate.
"""

from __future__ import annotations

import time

from conftest import BOTTLE_CLIP, need

from camapp.pipeline.stats import Stats
from camapp.session import ModelSpec, Session, SourceSpec
from camapp.session.livems import LiveRungs, in_order


def feed(live: LiveRungs, n: int, size: int, ms: float, t: float) -> list[bool]:
    return [live.feed(Stats(input_size=size, infer_ms=ms), now=t + i) for i in range(n)]


def test_a_rung_counts_only_after_the_median_is_its_own():
    live = LiveRungs(settle=60, interval_s=2.0)
    assert feed(live, 59, 300, 20.0, 0.0) == [False] * 59  # 59 results: the median may mix rungs
    assert live.merged({300: 12.0, 112: 2.0}) == {300: 12.0, 112: 2.0}
    assert live.feed(Stats(input_size=300, infer_ms=20.0), now=100.0) is True  # the 60th
    assert live.merged({300: 12.0, 112: 2.0}) == {300: 20.0, 112: 2.0}


def test_a_size_change_starts_the_count_again():
    live = LiveRungs(settle=60)
    feed(live, 50, 300, 20.0, 0.0)
    feed(live, 30, 112, 3.0, 100.0)  # auto moved: 30 results at 112 are not enough
    assert live.ms == {}
    assert any(feed(live, 30, 112, 3.0, 200.0))
    assert live.ms == {112: 3.0}


def test_small_moves_and_quick_repeats_are_not_announced():
    live = LiveRungs(settle=1, interval_s=2.0)
    assert live.feed(Stats(input_size=300, infer_ms=20.0), now=0.0) is True
    assert live.feed(Stats(input_size=300, infer_ms=21.0), now=10.0) is False  # 5%: exactly the band
    assert live.feed(Stats(input_size=300, infer_ms=21.01), now=10.5) is True  # just outside it
    assert live.feed(Stats(input_size=300, infer_ms=40.0), now=11.0) is False  # < 2 s after the last
    assert live.feed(Stats(input_size=300, infer_ms=40.0), now=12.5) is True
    assert live.ms == {300: 40.0}  # the figure itself always follows; only announcing waits


def test_reset_forgets_a_previous_detectors_rungs():
    live = LiveRungs(settle=1)
    live.feed(Stats(input_size=300, infer_ms=20.0), now=0.0)
    live.reset()
    assert live.merged({300: 9.0}) == {300: 9.0}


def test_the_running_rung_shows_the_live_median_in_status_and_events(model_store):
    session = Session()
    measured: list[dict] = []
    session.subscribe(lambda name, e: name == "measured" and measured.append(dict(e["ms"])))
    try:
        session.open(SourceSpec(str(need(BOTTLE_CLIP)), loop=True), ModelSpec(measure=True)).result(
            timeout=120
        )
        startup = dict(measured[0])
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            ladder = session.status()["ladder"]
            if any(r["live"] for r in ladder):
                break
            time.sleep(0.1)
        status = session.status()
        running = status["input_size"]
        rows = {r["size"]: r for r in status["ladder"]}
        assert rows[running]["live"] is True and rows[running]["ms"] > 0
        # the stream's median (rounded to 0.01 ms) replaced the start-up figure
        assert rows[running]["ms"] != startup[running]
        others = [z for z in rows if z != running]
        assert others and all(not rows[z]["live"] and rows[z]["ms"] == startup[z] for z in others)
        assert len(measured) >= 2 and measured[-1][running] != startup[running]  # and was announced
    finally:
        session.close(timeout=30)


def test_rungs_are_timed_with_frame_parallel_lanes_too(model_store):
    """A file read as fast as possible runs lanes; timing the ladder there used the lanes object
    itself (which cannot time) and failed the open. Each frame takes one lane's invoke, so the
    figures are one lane's."""
    from camapp.detect.lanes import Lanes

    session = Session()
    try:
        spec = ModelSpec(measure=True, schedule="throughput", threads=2)
        session.open(SourceSpec(str(need(BOTTLE_CLIP)), realtime=False), spec).result(timeout=120)
        assert isinstance(session.detector, Lanes) and len(session.detector.lanes) == 2
        ladder = session.status()["ladder"]
        assert len(ladder) > 1 and all(r["ms"] and r["ms"] > 0 for r in ladder)
    finally:
        session.close(timeout=30)


def test_figures_in_order_never_show_a_larger_rung_faster():
    assert in_order({300: 349.0, 112: 22.0, 272: 370.0, 240: 221.0}) == {
        112: 22.0,
        240: 221.0,
        272: 370.0,
        300: 370.0,
    }
    assert in_order({112: 5.0, 176: 5.0, 240: 9.0}) == {
        112: 5.0,
        176: 5.0,
        240: 9.0,
    }  # ties and order: as given
    assert in_order({112: 9.0, 176: 4.0}) == {112: 9.0, 176: 9.0}
    assert in_order({}) == {}
