"""scripts/compare-detections (the aarch64 check's verdict): matching by label and overlap, bounds inclusive."""

from __future__ import annotations

import importlib.machinery
import importlib.util

from conftest import ROOT


def load_script():
    path = ROOT / "scripts" / "compare-detections"
    loader = importlib.machinery.SourceFileLoader("compare_detections", str(path))
    spec = importlib.util.spec_from_loader("compare_detections", loader)
    module = importlib.util.module_from_spec(spec)
    loader.exec_module(module)
    return module


def det(label: str, score: float, box: list[float]) -> dict:
    return {"label": label, "score": score, "box": box}


HOST = [{"image": "/a/x.jpg", "detections": [det("person", 0.80, [10, 10, 50, 90]), det("dog", 0.79, [60, 10, 90, 40])]}]


def test_order_swapped_by_near_equal_scores_still_matches():
    script = load_script()
    other = [{"image": "/b/x.jpg", "detections": [det("dog", 0.80, [61, 10, 90, 40]), det("person", 0.79, [10, 12, 50, 90])]}]
    problems, worst_px, worst_score = script.compare(HOST, other, 4, 0.03)
    assert problems == []
    assert worst_px == 2 and abs(worst_score - 0.01) < 1e-9


def test_bounds_are_inclusive_and_one_past_fails():
    script = load_script()
    at = [{"image": "x.jpg", "detections": [det("person", 0.83, [14, 10, 50, 90]), det("dog", 0.79, [60, 10, 90, 40])]}]
    assert script.compare(HOST, at, 4, 0.03 + 1e-9)[0] == []
    past = [{"image": "x.jpg", "detections": [det("person", 0.80, [14.5, 10, 50, 90]), det("dog", 0.79, [60, 10, 90, 40])]}]
    assert len(script.compare(HOST, past, 4, 0.03)[0]) == 1


def test_a_missing_or_extra_or_relabelled_box_fails():
    script = load_script()
    fewer = [{"image": "x.jpg", "detections": [det("person", 0.80, [10, 10, 50, 90])]}]
    assert any("dog" in p for p in script.compare(HOST, fewer, 4, 0.03)[0])
    assert any("only in the second" in p for p in script.compare(fewer, HOST, 4, 0.03)[0])
    cat = [{"image": "x.jpg", "detections": [det("person", 0.80, [10, 10, 50, 90]), det("cat", 0.79, [60, 10, 90, 40])]}]
    assert len(script.compare(HOST, cat, 4, 0.03)[0]) == 2  # the dog unmatched, the cat extra
