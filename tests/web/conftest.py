"""The web tests' server: `camapp run --headless --web` itself, on loopback, with the real model
on the shared person clip (looped), started once per module."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import PERSON_CLIP, ROOT, need
from web.client import Web, free_port


def start_run(model_store: Path, folder: Path, *extra: str, source: Path = PERSON_CLIP) -> tuple:
    """A `camapp run --headless --web` child; returns (process, url, lines read so far)."""
    port = free_port()
    cmd = [sys.executable, "-m", "camapp", "run", "--headless", "--source", str(need(source)), "--loop"]
    cmd += ["--web", f"127.0.0.1:{port}", "--web-dir", str(folder), "--stats-every", "3600", *extra]
    env = dict(os.environ, CAMAPP_MODEL_DIR=str(model_store), PYTHONUNBUFFERED="1")
    proc = subprocess.Popen(
        cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    lines: list[str] = []
    deadline = time.monotonic() + 60
    assert proc.stdout is not None
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        lines.append(line)
        if line.startswith("web: "):
            return proc, f"http://127.0.0.1:{port}", lines
    proc.kill()
    raise AssertionError("camapp run --web did not start:\n" + "".join(lines))


def stop_run(proc: subprocess.Popen) -> str:
    proc.terminate()
    out, _ = proc.communicate(timeout=30)
    return out


@contextlib.contextmanager
def running(model_store: Path, folder: Path, *extra: str, key: str | None = None) -> Iterator[Web]:
    """A run with `extra` options, once it has handed on frames; it must end cleanly."""
    proc, url, _ = start_run(model_store, folder, *extra)
    try:
        web = Web(url, key=key)
        web.wait_status(lambda s: s["frames"] > 0, timeout=60)
        yield web
    finally:
        out = stop_run(proc)
    assert proc.returncode == 0 and "Traceback" not in out, out


@pytest.fixture(scope="module")
def served(model_store: Path, tmp_path_factory: pytest.TempPathFactory):
    folder = tmp_path_factory.mktemp("web-recordings")
    with running(model_store, folder) as web:
        web.folder = folder  # type: ignore[attr-defined]
        yield web
