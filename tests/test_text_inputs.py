"""Text files as users save them (Windows Notepad: a UTF-8 BOM and CRLF; editors: trailing blanks),
read by camapp with the real model, the real label map, catalog and COCO annotations."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from conftest import COCO32, SHARED_MODEL, need

from camapp.labels import load_labels
from camapp.store import load_catalog
from camapp.store.catalog import catalog_dir


def as_windows_saves_it(src: Path, dst: Path, trailing: str = "\r\n  \r\n\r\n") -> Path:
    """A UTF-8 BOM, CRLF line ends, trailing spaces on lines and blank lines at the end."""
    text = src.read_text(encoding="utf-8").replace("\n", "  \r\n") + trailing
    dst.write_bytes("\ufeff".encode() + text.encode("utf-8"))
    return dst


def test_label_file_with_bom_crlf_and_trailing_blanks_reads_like_the_original(tmp_path):
    original = load_labels(need(SHARED_MODEL / "labelmap.txt"))
    saved = load_labels(as_windows_saves_it(SHARED_MODEL / "labelmap.txt", tmp_path / "labels.txt"))
    assert saved == original and saved[0] == "person" and len(saved) == 90


def test_label_file_without_background_line_and_with_bom_has_a_clean_first_label(tmp_path):
    names = (SHARED_MODEL / "labelmap.txt").read_text(encoding="utf-8").splitlines()[1:]
    src = tmp_path / "plain.txt"
    src.write_text("\n".join(names) + "\n", encoding="utf-8")
    labels = load_labels(as_windows_saves_it(src, tmp_path / "bom.txt"))
    assert labels[0] == "person"  # not "\ufeffperson"
    assert labels == tuple(names)


def test_the_real_model_runs_with_a_windows_saved_label_file(model_path, tmp_path, image):
    from camapp.detect import open_detector

    labels = as_windows_saves_it(SHARED_MODEL / "labelmap.txt", tmp_path / "labelmap.txt")
    det = open_detector(str(model_path), labels=str(labels), threshold=0.5)
    try:
        assert "dog" in det.detect(image("pets.jpg")).labels
    finally:
        det.close()


def test_catalog_saved_with_bom_and_crlf_loads_the_same(tmp_path):
    path = as_windows_saves_it(catalog_dir() / "catalog.toml", tmp_path / "catalog.toml", trailing="\r\n")
    assert load_catalog(path) == load_catalog()


def test_coco_annotations_with_a_bom_load(tmp_path):
    from camapp.eval import load_dataset

    root = need(COCO32)
    copy = tmp_path / "coco"
    copy.mkdir()
    (copy / "images").symlink_to(root / "images")
    data = json.loads((root / "instances.json").read_text(encoding="utf-8"))
    (copy / "instances.json").write_bytes(
        "\ufeff".encode() + json.dumps(data, indent=1).replace("\n", "\r\n").encode()
    )
    assert len(load_dataset(copy).annotations["images"]) == len(data["images"])


@pytest.mark.parametrize("value", ["{dir}\r", " {dir} ", "{dir}\n"])
def test_env_paths_from_a_crlf_env_file_are_trimmed(tmp_path, monkeypatch, value):
    from camapp.gui.paths import config_dir
    from camapp.store.paths import model_dir

    monkeypatch.setenv("CAMAPP_MODEL_DIR", value.format(dir=tmp_path))
    monkeypatch.setenv("CAMAPP_CONFIG_DIR", value.format(dir=tmp_path))
    assert model_dir() == tmp_path and config_dir() == tmp_path
    assert shutil.disk_usage(model_dir())  # a real folder, not "dir\r"
