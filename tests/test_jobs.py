"""`SerialJobs`: commands run one at a time, in order, off the caller's thread."""

from __future__ import annotations

import threading
import time

from camapp.jobs import SerialJobs


def test_jobs_run_in_order_off_the_callers_thread_and_close_cancels_the_waiting_ones():
    jobs = SerialJobs("camapp-test-jobs")
    seen: list[tuple[int, str]] = []
    gate = threading.Event()

    def job(n: int) -> int:
        if n == 0:
            gate.wait(5)
        seen.append((n, threading.current_thread().name))
        return n

    first = jobs.submit(job, 0)
    rest = [jobs.submit(job, n) for n in (1, 2)]
    assert not first.done()  # the caller did not wait
    gate.set()
    assert [f.result(5) for f in (first, *rest)] == [0, 1, 2]
    assert [n for n, _ in seen] == [0, 1, 2]
    assert all(name.startswith("camapp-test-jobs") for _, name in seen)
    assert threading.current_thread().name not in {name for _, name in seen}

    gate.clear()
    running = jobs.submit(job, 0)
    waiting = jobs.submit(job, 3)
    time.sleep(0.05)
    threading.Timer(0.2, gate.set).start()
    jobs.close()  # the running job finishes, the waiting one never starts
    assert running.result(1) == 0 and waiting.cancelled()
    assert jobs.submit(lambda: "again").result(5) == "again"  # a new thread after close
    jobs.close()
