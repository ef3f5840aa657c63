"""Without a display (SSH, a Pi without a screen) `camapp` says so in one line and exits 2,
instead of Qt's xcb messages and an abort (exit 134); with a display but without
libxcb-cursor0 it names that package instead."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import BOTTLE_CLIP, ROOT, need

from camapp.cli import gui
from camapp.cli.gui import XCB_CURSOR_MISSING, display_problem, x11_answers

UNSET = ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")


def run_app(tmp_path: Path, **env: str) -> subprocess.CompletedProcess:
    base = {k: v for k, v in os.environ.items() if k not in UNSET}
    base["CAMAPP_CONFIG_DIR"] = str(tmp_path / "config")
    return subprocess.run(
        [sys.executable, "-m", "camapp", "--source", str(need(BOTTLE_CLIP))],
        cwd=ROOT,
        env=base | env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def free_display() -> str:
    """A display number no X server listens on here."""
    n = next(n for n in range(4093, 4000, -1) if not Path(f"/tmp/.X11-unix/X{n}").exists())
    return f":{n}"


def test_without_display_the_app_says_so_in_one_line_and_exits_2(tmp_path):
    proc = run_app(tmp_path)
    err = proc.stderr.strip().splitlines()
    assert proc.returncode == 2, proc.stderr[-2000:]
    assert len(err) == 1 and err[0].startswith("camapp: error: no display to open the window on"), err
    assert "DISPLAY and WAYLAND_DISPLAY not set" in err[0]
    assert "camapp run --headless" in err[0] and "--web" in err[0]
    assert "xcb" not in proc.stderr and "Aborted" not in proc.stderr


def test_a_display_nobody_answers_is_named(tmp_path):
    display = free_display()
    proc = run_app(tmp_path, DISPLAY=display)
    assert proc.returncode == 2, proc.stderr[-2000:]
    err = proc.stderr.strip().splitlines()
    assert err == [
        f"camapp: error: cannot connect to the display {display!r} (DISPLAY); run without a window: "
        "camapp run --headless --source SRC (add --web 8080 to watch and control it from a browser)"
    ]


def test_an_x_server_that_answers_passes(display, monkeypatch):
    assert x11_answers(display) is True
    assert x11_answers(free_display()) is False
    assert display_problem({"DISPLAY": display}) is None
    assert display_problem({"DISPLAY": display, "QT_QPA_PLATFORM": "xcb"}) is None
    # libxcb-cursor0 is installed here (scripts/system-deps): its absence is simulated at the
    # loader, the one boundary that sees it
    monkeypatch.setattr(gui, "_loads", lambda library: library != "libxcb-cursor.so.0")
    assert display_problem({"DISPLAY": display}) == XCB_CURSOR_MISSING
    assert "sudo apt install libxcb-cursor0" in XCB_CURSOR_MISSING


@pytest.mark.parametrize(
    "env, told",
    [
        ({}, "DISPLAY and WAYLAND_DISPLAY not set"),
        ({"QT_QPA_PLATFORM": "xcb", "WAYLAND_DISPLAY": "wayland-0"}, "(DISPLAY not set)"),
        ({"QT_QPA_PLATFORM": "wayland", "DISPLAY": ":0"}, "(WAYLAND_DISPLAY not set)"),
        ({"QT_QPA_PLATFORM": "wayland;xcb"}, "DISPLAY and WAYLAND_DISPLAY not set"),
        ({"QT_QPA_PLATFORM": "offscreen"}, None),  # no display server involved: Qt is trusted
        ({"QT_QPA_PLATFORM": "eglfs"}, None),
        ({"QT_QPA_PLATFORM": "vnc:size=800x600"}, None),
        ({"WAYLAND_DISPLAY": "wayland-0"}, None),
        ({"QT_QPA_PLATFORM": "wayland", "WAYLAND_DISPLAY": "wayland-0"}, None),
    ],
)
def test_which_platforms_need_which_display(env, told):
    problem = display_problem(env)
    if told is None:
        assert problem is None
    else:
        assert problem is not None and told in problem and "camapp run --headless" in problem
