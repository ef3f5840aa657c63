"""Work that must never run on the caller's thread: one serial worker for the session's slow steps,
plus the helpers it calls (timing the rungs, finding cameras and accelerators)."""

from __future__ import annotations

import queue
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np


class SerialWorker:
    """A daemon thread running submitted jobs one after another.

    Serial so "open this source" and "stop" never overlap; a daemon so a source stuck in a
    long network timeout cannot keep the process alive after the window closed.
    """

    def __init__(self, name: str = "camapp-worker") -> None:
        self._jobs: queue.Queue[Callable[[], None] | None] = queue.Queue()
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()

    def submit(self, job: Callable[[], None]) -> None:
        self._jobs.put(job)

    def run_and_wait(self, job: Callable[[], None], timeout: float) -> bool:
        """Queue `job` behind the others and wait up to `timeout`; False if it did not finish."""
        done = threading.Event()

        def wrapped() -> None:
            try:
                job()
            finally:
                done.set()

        self.submit(wrapped)
        return done.wait(timeout)

    def stop(self) -> None:
        self._jobs.put(None)

    @property
    def thread(self) -> threading.Thread:
        return self._thread

    def _run(self) -> None:
        while True:
            job = self._jobs.get()
            if job is None:
                return
            try:
                job()
            except Exception as exc:  # a job reports its own errors; this only keeps the worker alive
                print(f"camapp: background job failed: {exc!r}", file=sys.stderr)


def measure_rungs(
    detector: Any,
    image: np.ndarray | None = None,
    repeats: int = 10,
    progress: Callable[[int, int], None] | None = None,
    cancelled: Callable[[], bool] = lambda: False,
    rounds: int = 3,
) -> dict[int, float]:
    """Median invoke time (ms) of each input size on this machine (`bench_rungs`, about
    `repeats` invokes per rung over `rounds` interleaved rounds).

    Runs on a worker before the pipeline starts: the detector's interpreters are not safe to
    share with a running pipeline. Every rung is built before any is timed, so the slider's labels
    come out in order and later switches are instant. Checks `cancelled` between steps, so closing
    the window during start-up returns what was measured by then.
    """
    from camapp.detect.timing import bench_rungs

    if image is None:
        image = np.random.default_rng(0).integers(0, 255, (480, 640, 3), dtype=np.uint8)
    per_round = max(1, -(-repeats // rounds))
    # frame-parallel lanes: each frame takes one lane's invoke, so one lane's times are the figures
    from camapp.detect.lanes import Lanes

    timed = detector.first if isinstance(detector, Lanes) else detector
    return bench_rungs(timed, image, per_round, rounds, progress=progress, cancelled=cancelled)


def list_cameras() -> list[tuple[str, str]]:
    """(source spec, label) per camera, from sysfs names (no camera is opened to find them).

    On systems without sysfs (macOS, Windows) cameras are known only by index: offer camera 0.
    """
    from camapp.hw.usb import SYSFS
    from camapp.hw.video import video_nodes

    if not (Path(SYSFS) / "class").is_dir():
        return [("0", "Default camera")]
    found: list[tuple[str, str]] = []
    for node in video_nodes():
        if node.kind == "camera":
            found.append((node.device, node.name or node.device))
        elif node.kind == "csi" and ("picam", "") not in [(s, "") for s, _ in found]:
            found.append(("picam", "Raspberry Pi camera module"))
    return found


def yield_cpu_to_gui(nice: int = 5) -> int:
    """Lower the scheduling priority of every thread but the GUI thread (Linux; else a no-op).

    On a busy machine the GUI thread otherwise competes on equal terms with inference, decoding
    and encoding threads (ours and the native ones they start), and a repaint can wait for
    hundreds of ms. Raising a thread's nice value needs no privileges. Returns threads changed.
    """
    import os
    import threading

    if not hasattr(os, "setpriority") or not os.path.isdir("/proc/self/task"):
        return 0
    gui = threading.main_thread().native_id
    changed = 0
    for name in os.listdir("/proc/self/task"):
        tid = int(name)
        if tid == gui:
            continue
        try:
            if os.getpriority(os.PRIO_PROCESS, tid) < nice:
                os.setpriority(os.PRIO_PROCESS, tid, nice)
                changed += 1
        except OSError:  # the thread ended meanwhile
            continue
    return changed
