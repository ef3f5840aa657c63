"""Rung timing on the real model, and the serial worker's ordering and shutdown."""

from __future__ import annotations

import threading

from camapp.gui.workers import SerialWorker, measure_rungs


def test_every_rung_is_timed_and_smaller_is_faster(detector, image):
    ms = measure_rungs(detector, image("pets.jpg"), repeats=3)
    sizes = detector.input_sizes
    assert set(ms) == set(sizes) and len(sizes) > 1
    assert all(v > 0 for v in ms.values())
    # on a busy machine neighbours can swap, but the ends of the ladder cannot
    assert ms[min(sizes)] < ms[max(sizes)]
    assert detector.input_size == max(sizes)  # timing does not move the live rung


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
