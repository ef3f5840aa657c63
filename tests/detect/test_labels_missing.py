"""A custom model without a label file: a warning that says how to fix it, not silent class numbers."""

from __future__ import annotations

import shutil

from camapp.cli import main
from camapp.detect import open_detector


def test_model_without_labels_warns_and_says_how_to_fix(model_path, tmp_path, capsys, image):
    lonely = tmp_path / "custom.tflite"
    shutil.copyfile(model_path, lonely)  # no labelmap.txt beside it
    det = open_detector(str(lonely), threads=1, input_size=300, input_sizes=[300], threshold=0.4)
    try:
        assert det.names == ()
        assert len(det.warnings) == 1 and "custom.tflite has no label file" in det.warnings[0]
        assert "--labels FILE" in det.warnings[0]
        assert capsys.readouterr().err == f"camapp: warning: {det.warnings[0]}\n"
        dets = det.detect(image("grace_hopper.bmp"))
        assert "0" in dets.labels  # person is class 0: shown as a number, and now the user knows why
    finally:
        det.close()


def test_model_with_labels_beside_it_does_not_warn(model_path, tmp_path, capsys):
    shutil.copyfile(model_path, tmp_path / "custom.tflite")
    shutil.copyfile(model_path.parent / "labelmap.txt", tmp_path / "labelmap.txt")
    det = open_detector(str(tmp_path / "custom.tflite"), threads=1, input_sizes=[300], input_size=300)
    try:
        assert det.warnings == [] and det.names[0] == "person"
        assert capsys.readouterr().err == ""
    finally:
        det.close()


def test_detect_cli_prints_the_warning_once(model_path, tmp_path, capsys, image):
    from conftest import IMAGES

    shutil.copyfile(model_path, tmp_path / "custom.tflite")
    rc = main(["detect", str(IMAGES / "grace_hopper.bmp"), "--model", str(tmp_path / "custom.tflite")])
    out, err = capsys.readouterr()
    assert rc == 0
    assert err.count("camapp: warning: custom.tflite has no label file") == 1
    assert "  0 " in out and "%" in out  # the person, as class 0, with its score in percent
