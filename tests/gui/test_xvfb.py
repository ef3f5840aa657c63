"""The real app under a real X server: `python -m camapp --source CLIP` paints boxes on the video.

Starts its own Xvfb (xcb platform, as on a desktop), runs the app as a subprocess on the shared
bottle clip with the real model, lets it save `window.grab()` after 30 frames and checks the
picture: long straight runs of the bottle class's color are box edges the app painted.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
from conftest import BOTTLE_CLIP, ROOT, need

from camapp.render import class_color


def longest_runs(mask: np.ndarray) -> int:
    """The longest horizontal run of True pixels in any row."""
    best = 0
    for row in mask:
        padded = np.concatenate(([0], row.astype(np.int8), [0]))
        edges = np.flatnonzero(np.diff(padded))
        if len(edges):
            best = max(best, int((edges[1::2] - edges[::2]).max()))
    return best


def test_app_paints_boxes_on_the_clip_under_x(display, model_store, tmp_path):
    clip = need(BOTTLE_CLIP)
    shot = tmp_path / "window.png"
    env = {
        **os.environ,
        "DISPLAY": display,
        "QT_QPA_PLATFORM": "xcb",
        "CAMAPP_CONFIG_DIR": str(tmp_path / "config"),
        "CAMAPP_MODEL_DIR": str(model_store),
    }
    proc = subprocess.run(
        [sys.executable, "-m", "camapp", "--source", str(clip), "--threshold", "0.4"]
        + ["--screenshot", str(shot), "--screenshot-after", "30"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert f"screenshot: {shot}" in proc.stdout
    img = cv2.imread(str(shot))
    assert img is not None and img.shape[1] >= 1000 and img.shape[0] >= 600
    from camapp.labels import load_labels

    names = load_labels(model_store / "ssd_mobilenet_v1_coco_quant" / "labelmap.txt")
    bottle = np.array(class_color(names.index("bottle")), np.int16)
    video = img[:, : img.shape[1] - 300].astype(np.int16)  # left of the side bar
    mask = np.all(np.abs(video - bottle) <= 12, axis=2)
    assert longest_runs(mask) >= 40, "no box edge in the bottle color was painted"
    assert (Path(env["CAMAPP_CONFIG_DIR"]) / "gui.ini").is_file()  # settings saved on exit
