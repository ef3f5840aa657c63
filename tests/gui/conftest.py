"""GUI test set-up: Qt offscreen, settings in a temporary folder (never the user's), and a real X
server (Xvfb) for the tests that need one."""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


@pytest.fixture(autouse=True)
def _isolated_settings(tmp_path, monkeypatch):
    """Every GUI test reads and writes settings and output under its own tmp_path."""
    monkeypatch.setenv("CAMAPP_CONFIG_DIR", str(tmp_path / "config"))
    monkeypatch.setenv("XDG_VIDEOS_DIR", str(tmp_path / "videos"))
    return tmp_path / "config"


def _ci() -> bool:
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")


@pytest.fixture()
def display():
    xvfb = shutil.which("Xvfb")
    if xvfb is None:
        msg = "Xvfb is not installed: run `make system-deps`"
        pytest.fail(msg) if _ci() else pytest.skip(msg)
    read_fd, write_fd = os.pipe()
    proc = subprocess.Popen(
        # -noreset: the server stays up between clients (a display probe connects and leaves)
        [xvfb, "-displayfd", str(write_fd), "-screen", "0", "1600x1000x24", "-nolisten", "tcp", "-noreset"],
        pass_fds=(write_fd,),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    os.close(write_fd)
    with os.fdopen(read_fd) as f:
        number = f.readline().strip()  # Xvfb writes the display number once it accepts clients
    try:
        assert number.isdigit(), "Xvfb did not start"
        yield f":{number}"
    finally:
        proc.terminate()
        proc.wait(10)
