"""COCO evaluation on the real coco32 subset with the real model (must run in CI)."""

from __future__ import annotations

import json

import pytest
from conftest import COCO32, SHARED_MODEL, need

from camapp.detect import open_detector
from camapp.errors import CamappError
from camapp.eval import category_ids, evaluate, load_dataset
from camapp.labels import load_labels


@pytest.fixture(scope="module")
def coco32():
    return load_dataset(need(COCO32))


def test_model_class_k_is_coco_category_k_plus_1(coco32):
    names = load_labels(need(SHARED_MODEL / "labelmap.txt"))
    mapping = category_ids(names, coco32)
    assert len(mapping) == 80  # every COCO category, none of the ??? gaps
    assert all(cat == k + 1 for k, cat in mapping.items())
    assert mapping[0] == coco32.categories["person"] == 1
    assert mapping[89] == coco32.categories["toothbrush"] == 90


def test_labels_that_are_not_coco_are_refused(coco32):
    with pytest.raises(CamappError, match="match only 0 of the 80"):
        category_ids(("background", "widget"), coco32)


@pytest.mark.parametrize("cap,expected", [(None, 0.292), (100, 0.321)])
def test_map_at_300_matches_the_reference(model_store, coco32, cap, expected):
    det = open_detector(threads=2, max_detections=cap, input_sizes=[300])
    try:
        (result,) = evaluate(det, coco32, progress=False)
    finally:
        det.close()
    assert result.input_size == 300
    assert result.map == pytest.approx(expected, abs=0.005)
    assert result.map < result.map50 < 1
    assert result.ms > 0


def test_a_small_rung_scores_lower_but_far_from_zero(model_store, coco32):
    det = open_detector(threads=2, max_detections=100, input_sizes=[300, 144], input_size=300)
    try:
        (small,) = evaluate(det, coco32, [144], progress=False)
    finally:
        det.close()
    assert small.input_size == 144
    assert 0.12 < small.map < 0.321


def write(path, text):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def test_bad_dataset_paths_are_user_errors(tmp_path):
    with pytest.raises(CamappError, match="dataset not found"):
        load_dataset(tmp_path / "nope")
    with pytest.raises(CamappError, match="must be a folder"):
        load_dataset(write(tmp_path / "file.txt", "x"))
    with pytest.raises(CamappError, match="no instances.json"):
        load_dataset(tmp_path)
    write(tmp_path / "instances.json", "{not json")
    with pytest.raises(CamappError, match="no images/ folder"):
        load_dataset(tmp_path)
    (tmp_path / "images").mkdir()
    with pytest.raises(CamappError, match="cannot read"):
        load_dataset(tmp_path)
    write(tmp_path / "instances.json", json.dumps({"images": []}))
    with pytest.raises(CamappError, match="not COCO instances"):
        load_dataset(tmp_path)
    doc = {"images": [{"id": 1, "file_name": "a.jpg"}], "annotations": [], "categories": []}
    write(tmp_path / "instances.json", json.dumps(doc))
    with pytest.raises(CamappError, match="1 image.*missing, e.g. a.jpg"):
        load_dataset(tmp_path)
