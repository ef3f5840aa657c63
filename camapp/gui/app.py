"""Starting the Qt application, plus two hidden aids: a window screenshot and a stall meter."""

from __future__ import annotations

import signal
import statistics
import sys
import tempfile
import time
from pathlib import Path

from PyQt6.QtCore import Qt, QTimer
from PyQt6.QtWidgets import QApplication

from camapp.gui.settings import Settings
from camapp.gui.window import GuiOptions, MainWindow


def make_app() -> QApplication:
    app = QApplication.instance()
    if app is None:
        app = QApplication(sys.argv[:1])
    app.setApplicationName("camapp")
    app.setApplicationDisplayName("camapp")
    app.setDesktopFileName("camapp")
    return app  # type: ignore[return-value]


class Screenshot:
    """After `after` frames (with boxes on them when the video has any), save `window.grab()` and quit."""

    def __init__(self, window: MainWindow, path: Path, after: int = 30, give_up_s: float = 120.0) -> None:
        self.window, self.path, self.after = window, path, after
        self.done = False
        window.bridge.result.connect(self._frame)
        QTimer.singleShot(int(give_up_s * 1000), self._give_up)

    def _frame(self, _result: object) -> None:
        shown = self.window.view.frames_shown
        drawn = self.window.view.drawn
        if self.done or shown < self.after or (not drawn and shown < self.after * 4):
            return
        self.done = True
        QTimer.singleShot(50, self._grab)  # let the paint for this frame happen first

    def _grab(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        ok = self.window.grab().save(str(self.path))
        print(f"screenshot: {self.path}" if ok else f"camapp: could not write {self.path}", flush=True)
        self.window.close()

    def _give_up(self) -> None:
        if not self.done:
            print("camapp: no frames arrived for the screenshot", file=sys.stderr, flush=True)
            QApplication.instance().exit(1)  # type: ignore[union-attr]


class StallMeter:
    """How late a 10 ms QTimer fires while the app streams and records: GUI-thread stalls.

    Starts once frames flow, records into a temporary folder for `seconds`, prints the numbers,
    then closes the window (which finalizes the recording).
    """

    INTERVAL_MS = 10

    def __init__(self, window: MainWindow, seconds: float) -> None:
        self.window, self.seconds = window, seconds
        self.late: list[float] = []
        self.worst: list[tuple[float, int, int]] = []  # (s since start, ms late, ms GUI CPU) > 50 ms late
        self.started = False
        self.tmp = tempfile.TemporaryDirectory(prefix="camapp-stalls-")
        self.timer = QTimer(window)
        self.timer.setTimerType(Qt.TimerType.PreciseTimer)
        self.timer.setInterval(self.INTERVAL_MS)
        self.timer.timeout.connect(self._tick)
        window.bridge.result.connect(self._frame)
        window.session.recording_stopped.connect(self._report)
        QTimer.singleShot(120_000, self._give_up)

    def _give_up(self) -> None:
        if not self.started:
            print("camapp: no frames arrived to measure stalls", file=sys.stderr, flush=True)
            QApplication.instance().exit(1)  # type: ignore[union-attr]

    def _frame(self, _result: object) -> None:
        if self.started:
            return
        self.started = True
        self.window.output_override = Path(self.tmp.name)
        self.window.side.record.setChecked(True)
        self.frames0 = self.window.view.frames_shown
        self.t0 = self.last = time.perf_counter()
        self.last_cpu = time.thread_time()
        self.timer.start()
        QTimer.singleShot(int(self.seconds * 1000), self._stop)

    def _tick(self) -> None:
        now, cpu = time.perf_counter(), time.thread_time()
        late = max(0.0, (now - self.last) * 1000.0 - self.INTERVAL_MS)
        self.late.append(late)
        if late > 50:  # with the GUI thread's own CPU time in that gap: busy, or waiting?
            busy = (cpu - self.last_cpu) * 1000.0
            self.worst.append((round(now - self.t0, 2), round(late), round(busy)))
        self.last, self.last_cpu = now, cpu

    def _stop(self) -> None:
        self.timer.stop()
        self.elapsed = time.perf_counter() - self.t0
        self.frames = self.window.view.frames_shown - self.frames0
        self.window.side.record.setChecked(False)

    def _report(self, path: str, written: int) -> None:
        late = sorted(self.late) or [0.0]
        p99 = late[min(len(late) - 1, int(len(late) * 0.99))]
        print(
            f"event-loop stall while streaming + recording for {self.elapsed:.1f} s "
            f"({self.frames} frames painted, {written} recorded): "
            f"max {late[-1]:.1f} ms, p99 {p99:.1f} ms, median {statistics.median(late):.1f} ms "
            f"over {len(self.late)} ticks of {self.INTERVAL_MS} ms",
            flush=True,
        )
        if self.worst:
            print("stalls over 50 ms (s after start, ms late, ms GUI-thread CPU):", self.worst, flush=True)
        self.window.close()


def run(
    options: GuiOptions,
    *,
    screenshot: Path | None = None,
    screenshot_after: int = 30,
    measure_stalls: float | None = None,
) -> int:
    # The pipeline, recorder and rung builder are Python threads: hand the GIL back to the GUI
    # thread every 1 ms instead of 5, so a busy worker cannot hold up painting and input.
    sys.setswitchinterval(0.001)
    app = make_app()
    window = MainWindow(Settings(), options)
    hooks: list[object] = []
    if screenshot is not None:
        hooks.append(Screenshot(window, screenshot, screenshot_after))
    if measure_stalls:
        hooks.append(StallMeter(window, measure_stalls))
    # Ctrl+C in the terminal closes the window properly (finalizing a recording) instead of
    # waiting for the next Qt event; the timer gives Python a chance to run its handler.
    signal.signal(signal.SIGINT, lambda *_: window.close())
    pulse = QTimer(window, interval=200)
    pulse.timeout.connect(lambda: None)
    pulse.start()
    window.show()
    QTimer.singleShot(0, window.start)
    code = app.exec()
    window.close()
    return int(code)
