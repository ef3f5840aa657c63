"""An observer that records a session's events, for the session tests (the `session` fixture is in
conftest.py)."""

from __future__ import annotations

import threading
import time

from camapp.session import Session

WAIT = 90.0  # s: loading and the first frames on two busy cores


class Events:
    """Observer collecting (name, payload) from whichever thread emits them."""

    def __init__(self, session: Session) -> None:
        self.items: list[tuple[str, dict]] = []
        self.threads: set[str] = set()
        self._lock = threading.Lock()
        session.subscribe(self)

    def __call__(self, name: str, payload: dict) -> None:
        with self._lock:
            self.items.append((name, payload))
            self.threads.add(threading.current_thread().name)

    def named(self, name: str) -> list[dict]:
        with self._lock:
            return [p for n, p in self.items if n == name]

    def names(self) -> list[str]:
        with self._lock:
            return [n for n, _ in self.items]

    def results(self) -> list:
        return [p["result"] for p in self.named("result")]

    def wait(self, cond, timeout: float = WAIT) -> None:
        deadline = time.monotonic() + timeout
        while not cond():
            assert time.monotonic() < deadline, f"timed out; events: {self.names()[-20:]}"
            time.sleep(0.02)
