"""`camapp run --track` and the desktop app's tracking run where supervision cannot be imported
(it is only the tests' reference): a child process whose import of it fails, as on a machine
without it."""

import os
import subprocess
import sys

import pytest
from conftest import PERSON_CLIP, ROOT, need

BLOCK = """
import importlib.abc, sys

class NoSupervision(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name == "supervision" or name.startswith("supervision."):
            raise ImportError(f"No module named {name!r} (blocked)", name=name)
        return None

sys.meta_path.insert(0, NoSupervision())
"""


def child(tmp_path, code: str, *args: str, timeout: float = 300) -> subprocess.CompletedProcess:
    site = tmp_path / "site"
    site.mkdir(exist_ok=True)
    (site / "sitecustomize.py").write_text(BLOCK)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(site), str(ROOT), str(ROOT / "tests")])}
    return subprocess.run(
        [sys.executable, "-c", code, *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=ROOT,
    )


def test_the_block_works(tmp_path):
    r = child(tmp_path, "import supervision")
    assert r.returncode == 1 and "blocked" in r.stderr


def test_camapp_run_tracks_and_counts_without_supervision(model_store, tmp_path):
    code = "import sys; from camapp.cli import main; rc = main(sys.argv[1:]); assert 'supervision' not in sys.modules; sys.exit(rc)"
    r = child(
        tmp_path,
        code,
        *["run", "--headless", "--source", str(need(PERSON_CLIP)), "--no-realtime", "--max-frames", "120"],
        *[
            "--track",
            "--line",
            "door:0,0.65,1,0.65",
            "--detect-every",
            "2",
            "--log",
            str(tmp_path / "log.jsonl"),
        ],
    )
    assert r.returncode == 0, r.stderr
    assert "person: 1 distinct" in r.stdout and "line door: 1 up person" in r.stdout, r.stdout


def test_the_apps_tracking_runs_without_supervision(model_store, tmp_path):
    """One of the desktop app's tracking tests (a real window, offscreen), in a child without supervision."""
    pytest.importorskip("pytestqt")
    test = (
        "tests/gui/test_tracking.py::test_track_objects_ids_on_the_boxes_a_drawn_line_counts_and_all_persists"
    )
    r = child(
        tmp_path,
        "import sys, pytest; sys.exit(pytest.main(sys.argv[1:]))",
        "-q",
        "-p",
        "no:cacheprovider",
        test,
    )
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-2000:]
    assert "1 passed" in r.stdout
