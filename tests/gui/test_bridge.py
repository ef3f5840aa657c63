"""The bridge delivers on the GUI thread, newest result only, and ignores stopped pipelines."""

from __future__ import annotations

import threading

from camapp.gui.bridge import ResultBridge


def test_results_from_another_thread_arrive_on_the_gui_thread_newest_only(qtbot):
    bridge = ResultBridge()
    got: list[tuple[int, threading.Thread]] = []
    bridge.result.connect(lambda r: got.append((r, threading.current_thread())))
    on_result, _ = bridge.attach()

    def produce() -> None:
        for i in range(500):
            on_result(i)

    t = threading.Thread(target=produce)
    t.start()
    t.join()
    qtbot.waitUntil(lambda: bool(got) and got[-1][0] == 499, timeout=2000)
    assert all(th is threading.main_thread() for _, th in got)
    values = [v for v, _ in got]
    assert values == sorted(values)  # never an older frame after a newer one
    assert len(values) < 500  # the GUI was not made to paint a backlog
    assert bridge.stale_dropped == 500 - len(values)


def test_states_are_delivered_in_order(qtbot):
    bridge = ResultBridge()
    states: list[tuple[str, str]] = []
    bridge.state.connect(lambda s, m: states.append((s, m)))
    _, on_state = bridge.attach()
    threading.Thread(
        target=lambda: [on_state(s, s.upper()) for s in ("running", "reconnecting", "running")]
    ).start()
    qtbot.waitUntil(lambda: len(states) == 3, timeout=2000)
    assert states == [("running", "RUNNING"), ("reconnecting", "RECONNECTING"), ("running", "RUNNING")]


def test_a_detached_pipeline_goes_quiet(qtbot):
    bridge = ResultBridge()
    got: list[object] = []
    bridge.result.connect(got.append)
    old, _ = bridge.attach()
    new, _ = bridge.attach()
    old("stale")
    new("fresh")
    qtbot.waitUntil(lambda: got == ["fresh"], timeout=2000)
    bridge.detach()
    new("after stop")
    qtbot.wait(50)
    assert got == ["fresh"]
