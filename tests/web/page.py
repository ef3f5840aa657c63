"""The page in a real browser for the browser tests: `camapp run --web` on the person clip, with
Debian's Chromium on it, and a polling wait."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from browser import chromium, need_browser
from web.client import Web
from web.conftest import start_run, stop_run


@contextlib.contextmanager
def served_page(
    model_store: Path, folder: Path, profile: Path, *extra: str, key: str | None = None
) -> Iterator[tuple[Any, Web]]:
    """(driver, Web) on a fresh run recording into `folder`, with `extra` options; the page is
    opened with `?key=` when a key is given. The run must end cleanly."""
    need_browser()  # before the run starts: a missing browser fails under CI, never hangs
    proc, url, _ = start_run(model_store, folder, *extra)
    driver = None
    try:
        driver = chromium(profile, "--window-size=1280,1000")
        driver.get(url + (f"/?key={key}" if key else "/"))
        yield driver, Web(url, key=key)
    finally:
        if driver is not None:
            driver.quit()
        out = stop_run(proc)
        assert proc.returncode == 0 and "Traceback" not in out, out


def wait_for(check, timeout: float = 30.0, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")
