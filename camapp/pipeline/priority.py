"""Helper threads give way to inference when inference uses every core.

XNNPACK splits each layer across its threads and waits for the slowest one, so a decoder, drawer
or encoder thread that takes a core for a moment stalls the whole invoke. Measured here (2 cores,
2 inference threads, input 300): a decode loop running beside the invokes at normal priority took
their median from 8.8 to 16.9 ms; at SCHED_IDLE it left it at 8.8 ms and still decoded 82
frames/s in the invokes' idle gaps. Nice 19 does nearly as well (median 9.1 ms, mean 10.1) without
ever starving the helper outright (pipeline runs measured the two alike), so capture, drawing,
encoding and writing threads run at nice 19 while the inference thread keeps its priority.

Niceness is per thread on Linux only (elsewhere it would slow the whole process), and an
unprivileged thread cannot take it back: a lowered thread stays lowered until it ends.
"""

from __future__ import annotations

import logging
import os
import sys
import threading

from camapp.detect.base import Detector

log = logging.getLogger(__name__)

HELPER_NICE = 19


def takes_every_core(detector: Detector) -> bool:
    """True when a CPU detector runs at least as many threads as the machine has cores."""
    threads = getattr(detector, "threads", None)
    if getattr(detector, "device", "cpu") != "cpu" or not isinstance(threads, int):
        return False
    return threads >= (os.cpu_count() or 1)


def lower_priority(thread: threading.Thread | None = None) -> bool:
    """Nice `thread` (default: the calling one) to `HELPER_NICE`; False where that cannot be done.

    Threads the lowered thread starts later (an encoder's own threads) inherit the niceness.
    """
    tid = _tid(thread)
    if tid is None:
        return False
    try:
        if os.getpriority(os.PRIO_PROCESS, tid) < HELPER_NICE:
            os.setpriority(os.PRIO_PROCESS, tid, HELPER_NICE)
    except OSError as exc:  # the thread has ended, or a sandbox forbids it: keep going unchanged
        log.debug("cannot lower thread %s: %s", tid, exc)
        return False
    return True


def thread_nice(thread: threading.Thread | None = None) -> int | None:
    """The thread's niceness (Linux), for tests and diagnostics."""
    tid = _tid(thread)
    try:
        return os.getpriority(os.PRIO_PROCESS, tid) if tid is not None else None
    except OSError:
        return None


def _tid(thread: threading.Thread | None) -> int | None:
    """The OS id whose niceness is the thread's own: Linux only, and None until it has started."""
    if not sys.platform.startswith("linux"):
        return None
    return (thread or threading.current_thread()).native_id


def lower_consumer(consumer: object) -> None:
    """A consumer's own thread (a recorder's), if it runs one, at low priority."""
    thread = getattr(consumer, "thread", None)
    if isinstance(thread, threading.Thread) and thread.is_alive():  # an ended thread's id may be reused
        lower_priority(thread)
