"""Carrying pipeline results from its thread to the GUI thread, newest only.

The pipeline calls `push` on its own thread. `push` only stores the result and, if no delivery
is already queued, emits `ready` through a queued connection. The GUI slot then takes whatever
is newest, so a busy GUI never works through a backlog of stale frames: results that arrive
between two deliveries are dropped (and counted).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from PyQt6.QtCore import QObject, Qt, pyqtSignal


class ResultBridge(QObject):
    """Lives on the GUI thread; `push`/`push_state` may be called from any thread."""

    result = pyqtSignal(object)  # the newest Result, delivered on the GUI thread
    state = pyqtSignal(str, str)  # (state, message), every change delivered in order
    _ready = pyqtSignal()
    _state_ready = pyqtSignal(str, str)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._lock = threading.Lock()
        self._latest: Any = None
        self._queued = False
        self._closed = False
        self._generation = 0
        self.pushed = 0
        self.delivered = 0
        self._ready.connect(self._deliver, Qt.ConnectionType.QueuedConnection)
        self._state_ready.connect(self.state, Qt.ConnectionType.QueuedConnection)

    @property
    def stale_dropped(self) -> int:
        """Results replaced by a newer one before the GUI got to them."""
        return self.pushed - self.delivered - (1 if self._latest is not None else 0)

    def push(self, result: Any) -> None:
        """Pipeline-thread callback: O(1), never blocks on the GUI."""
        with self._lock:
            if self._closed:
                return
            self.pushed += 1
            self._latest = result
            if self._queued:
                return
            self._queued = True
        self._ready.emit()

    def push_state(self, state: str, message: str = "") -> None:
        with self._lock:
            if self._closed:
                return
        self._state_ready.emit(str(state), str(message or ""))

    def attach(self) -> tuple[Callable[[Any], None], Callable[..., None]]:
        """Callbacks for a new pipeline; those handed to earlier pipelines go quiet.

        One bridge lives on the GUI thread for the app's lifetime (a QObject made on a worker
        thread would deliver on that thread); generations keep a stopped pipeline's late
        results from landing after the new source's frames.
        """
        with self._lock:
            self._generation += 1
            self._latest = None
            gen = self._generation

        def on_result(result: Any) -> None:
            if self._generation == gen:
                self.push(result)

        def on_state(state: Any, message: str = "") -> None:
            """Takes the pipeline's `Stats` (its state and message) or a plain (state, message)."""
            if self._generation == gen:
                if hasattr(state, "state"):
                    state, message = state.state, getattr(state, "message", "")
                self.push_state(str(state), message or "")

        return on_result, on_state

    def detach(self) -> None:
        with self._lock:
            self._generation += 1
            self._latest = None

    def close(self) -> None:
        """Stop delivering: late callbacks from a pipeline being torn down are ignored."""
        with self._lock:
            self._closed = True
            self._latest = None

    def _deliver(self) -> None:
        with self._lock:
            latest, self._latest = self._latest, None
            self._queued = False
            if self._closed or latest is None:
                return
            self.delivered += 1
        self.result.emit(latest)
