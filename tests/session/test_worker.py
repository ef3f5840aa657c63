"""Rung timing on the real model, and the serial worker's ordering and shutdown."""

from __future__ import annotations

import threading

from camapp.session.worker import SerialWorker, measure_rungs


def test_every_rung_is_timed_and_smaller_is_faster(detector, image):
    ms = measure_rungs(detector, image("pets.jpg"), repeats=3)
    sizes = detector.input_sizes
    assert set(ms) == set(sizes) and len(sizes) > 1
    assert all(v > 0 for v in ms.values())
    # on a busy machine neighbours can swap, but the ends of the ladder cannot
    assert ms[min(sizes)] < ms[max(sizes)]
    assert detector.input_size == max(sizes)  # timing does not move the live rung


def test_every_rung_is_built_before_any_is_timed_and_rounds_interleave(detector, image):
    """A build running beside a timing inflated it: all rungs are ready before the first invoke."""
    order: list[int] = []
    ready_at_first: list[tuple[int, ...]] = []
    timed = detector.invoke_times

    def spy(size, img, runs=20):
        if not order:
            ready_at_first.append(detector.ready_sizes)
        order.append(size)
        return timed(size, img, runs=runs)

    detector.invoke_times = spy
    ms = measure_rungs(detector, image("pets.jpg"), repeats=2, rounds=2)
    sizes = list(detector.input_sizes)
    assert ready_at_first == [tuple(sizes)]
    assert order == sizes * 2 and set(ms) == set(sizes)


def test_cancel_returns_what_was_timed(detector, image):
    sizes = list(detector.input_sizes)
    calls = iter(range(1000))
    stop_at = len(sizes) + 2  # one check per build, then two rungs timed
    ms = measure_rungs(
        detector, image("pets.jpg"), repeats=1, rounds=1, cancelled=lambda: next(calls) >= stop_at
    )
    assert list(ms) == sizes[:2]


def test_serial_worker_runs_in_order_off_the_calling_thread():
    worker = SerialWorker()
    seen: list[tuple[int, str]] = []
    for i in range(5):
        worker.submit(lambda i=i: seen.append((i, threading.current_thread().name)))
    assert worker.run_and_wait(lambda: None, timeout=5)
    assert [i for i, _ in seen] == list(range(5))
    assert all(name == "camapp-worker" for _, name in seen)
    worker.submit(lambda: 1 / 0)  # a failing job does not kill the worker
    assert worker.run_and_wait(lambda: None, timeout=5)
    worker.stop()
    worker.thread.join(5)
    assert not worker.thread.is_alive()
