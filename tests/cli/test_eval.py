"""`camapp eval` as a user runs it: a real subprocess on the real coco32."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from conftest import COCO32, ROOT, need


def camapp(*args: str, store: Path | None = None) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    if store is not None:
        env["CAMAPP_MODEL_DIR"] = str(store)
    return subprocess.run(
        [sys.executable, "-m", "camapp", *args], capture_output=True, text=True, env=env, timeout=300
    )


def test_eval_json_with_raised_cap(model_store):
    proc = camapp(
        "eval", "--dataset", str(need(COCO32)), "--sizes", "300,176", "--json",
        "--max-detections", "100", "--threads", "2", store=model_store,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    results = json.loads(proc.stdout)["results"]
    assert [r["input_size"] for r in results] == [300, 176]
    assert set(results[0]) == {"input_size", "map", "map50", "ms"}
    assert abs(results[0]["map"] - 0.321) <= 0.005
    assert 0.10 < results[1]["map"] < results[0]["map"]


def test_eval_table(model_store):
    proc = camapp(
        "eval", "--dataset", str(need(COCO32)), "--sizes", "300", "--threads", "2", store=model_store
    )
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.strip().splitlines()
    assert lines[1].split() == ["input", "mAP", "AP50", "ms"]
    size, mean_ap, ap50, ms = lines[2].split()
    assert size == "300" and abs(float(mean_ap) - 29.2) <= 0.5 and float(ap50) > float(mean_ap)
    assert float(ms) > 0


def test_bad_dataset_path_is_one_line_exit_2(tmp_path):
    for args in (
        ["--dataset", str(tmp_path / "missing")],
        ["--dataset", str(tmp_path)],
        ["--dataset", str(tmp_path), "--sizes", "300,abc"],
    ):
        proc = camapp("eval", *args)
        assert proc.returncode == 2, proc.stderr
        assert "Traceback" not in proc.stderr
        lines = proc.stderr.strip().splitlines()
        assert len(lines) >= 1 and lines[-1].startswith("camapp"), proc.stderr
    proc = camapp("eval", "--dataset", str(tmp_path / "missing"))
    assert proc.stderr.strip().splitlines() == [f"camapp: error: dataset not found: {tmp_path / 'missing'}"]
