"""`camapp detect` and `camapp models` as a user runs them: a real subprocess, the real model."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import cv2
import pytest
from conftest import IMAGES, ROOT, SHARED_MODEL, need, single_output_model


def camapp(*args: str, store: Path | None = None) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    if store is not None:
        env["CAMAPP_MODEL_DIR"] = str(store)
    return subprocess.run(
        [sys.executable, "-m", "camapp", *args], capture_output=True, text=True, env=env, timeout=120
    )


def assert_user_error(proc: subprocess.CompletedProcess, pattern: str) -> None:
    assert proc.returncode == 2, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("camapp: error: "), proc.stderr
    assert "Traceback" not in proc.stderr
    import re

    assert re.search(pattern, lines[0]), lines[0]


def test_detect_json_on_the_shared_photos(model_store, tmp_path):
    photos = [str(need(IMAGES / n)) for n in ("grace_hopper.bmp", "cat.bmp", "pets.jpg")]
    proc = camapp(
        "detect", *photos, "--json", "--threshold", "0.4", "--out", str(tmp_path), store=model_store
    )
    assert proc.returncode == 0, proc.stderr
    results = json.loads(proc.stdout)
    labels = {Path(r["image"]).name: [d["label"] for d in r["detections"]] for r in results}
    assert {"person", "tie"} <= set(labels["grace_hopper.bmp"])
    assert "cat" in labels["cat.bmp"]
    assert labels["pets.jpg"].count("dog") == 2
    hopper = cv2.imread(photos[0])
    for d in results[0]["detections"]:
        x0, y0, x1, y1 = d["box"]
        assert 0 <= x0 < x1 <= hopper.shape[1] and 0 <= y0 < y1 <= hopper.shape[0]
        assert set(d) == {"label", "class_id", "score", "box"}
    annotated = cv2.imread(str(tmp_path / "grace_hopper.jpg"))
    assert annotated is not None and annotated.shape == hopper.shape
    assert cv2.absdiff(annotated, hopper).max() > 100  # boxes were drawn


def test_detect_text_and_class_filter(model_store):
    proc = camapp("detect", str(need(IMAGES / "grace_hopper.bmp")), "--classes", "tie", store=model_store)
    assert proc.returncode == 0, proc.stderr
    assert "tie" in proc.stdout and "person" not in proc.stdout


def test_missing_image(model_store, tmp_path):
    assert_user_error(camapp("detect", str(tmp_path / "nope.jpg"), store=model_store), "image not found")


def test_unreadable_image(model_store, tmp_path):
    p = tmp_path / "fake.jpg"
    p.write_text("not an image")
    assert_user_error(camapp("detect", str(p), store=model_store), "cannot read .*fake.jpg")


def test_corrupt_model(tmp_path):
    p = tmp_path / "detect.tflite"
    p.write_bytes(need(SHARED_MODEL / "detect.tflite").read_bytes()[:100000])
    proc = camapp("detect", str(IMAGES / "cat.bmp"), "--model", str(p))
    assert_user_error(proc, "detect.tflite is corrupt or truncated")


def test_wrong_model_kind(model_path, tmp_path):
    p = single_output_model(model_path, tmp_path / "classifier.tflite")
    assert_user_error(camapp("detect", str(IMAGES / "cat.bmp"), "--model", str(p)), "classification model")


def test_unknown_model_name_and_not_installed(tmp_path):
    empty = tmp_path / "store"
    assert_user_error(
        camapp("detect", str(IMAGES / "cat.bmp"), "--model", "yolo9000", store=empty),
        "unknown model 'yolo9000'",
    )
    assert_user_error(camapp("detect", str(IMAGES / "cat.bmp"), store=empty), "camapp models fetch")


def test_unknown_class(model_store):
    proc = camapp("detect", str(IMAGES / "cat.bmp"), "--classes", "unicorn", store=model_store)
    assert_user_error(proc, "unknown class 'unicorn'")


def test_models_fetch_from_and_list(tmp_path):
    store = tmp_path / "store"
    proc = camapp("models", "fetch", "--from", str(need(SHARED_MODEL)), store=store)
    assert proc.returncode == 0, proc.stderr
    listing = camapp("models", "list", store=store).stdout
    assert str(store) in listing
    row = next(line for line in listing.splitlines() if line.startswith("ssd_mobilenet_v1_coco_quant "))
    assert "4.0 MB" in row or "MB" in row


def test_models_fetch_checksum_mismatch(tmp_path):
    bad = tmp_path / "bad"
    bad.mkdir()
    data = bytearray(need(SHARED_MODEL / "detect.tflite").read_bytes())
    data[5000] ^= 1
    (bad / "detect.tflite").write_bytes(bytes(data))
    (bad / "labelmap.txt").write_text((SHARED_MODEL / "labelmap.txt").read_text())
    proc = camapp("models", "fetch", "--from", str(bad), store=tmp_path / "store")
    assert_user_error(proc, "checksum mismatch for detect.tflite")
    assert not (tmp_path / "store" / "ssd_mobilenet_v1_coco_quant").exists()


def test_models_fetch_unknown_name(tmp_path):
    assert_user_error(camapp("models", "fetch", "nope", store=tmp_path), "unknown model 'nope'")


@pytest.mark.parametrize(
    "args,pattern",
    [
        (["detect"], "the following arguments are required: IMAGE"),
        (["detect", "x.jpg", "--threshold", "2"], "must be between 0 and 1"),
        (["run", "--headless", "--source", "0", "--threads", "0"], "must be positive"),
        (["--source", "x.mp4", "--bogus"], "unrecognized arguments: --bogus"),
        (["models", "fetch", "--frm", "x"], "unrecognized arguments"),
    ],
)
def test_usage_errors_are_one_line_exit_2(args, pattern):
    assert_user_error(camapp(*args), pattern)


def test_top_level_help_shows_the_desktop_app_options():
    proc = camapp("--help")
    assert proc.returncode == 0
    assert "desktop app" in proc.stdout and "--source" in proc.stdout and "--reset-settings" in proc.stdout


def test_label_file_that_does_not_match_the_model(model_path, tmp_path):
    wrong = tmp_path / "labels.txt"
    wrong.write_text("cat\ndog\n")
    proc = camapp("detect", str(IMAGES / "cat.bmp"), "--model", str(model_path), "--labels", str(wrong))
    assert_user_error(proc, "label file .*labels.txt has 2 names but detect.tflite has 90 classes")
