"""Model validation: every unusable file gets one line naming it and what is wrong."""

from __future__ import annotations

import pytest
from conftest import single_output_model

from camapp.errors import ModelError
from camapp.tflite.model import read_model


def test_real_model_is_recognised(model_path):
    m = read_model(model_path)
    assert m.input_size == (300, 300) and m.native_size == 300
    assert set(m.output_tensors) == {"boxes", "classes", "scores", "count"}
    assert not m.edgetpu


def test_missing_file(tmp_path):
    with pytest.raises(ModelError, match=r"model file not found: .*nope\.tflite"):
        read_model(tmp_path / "nope.tflite")


def test_not_a_model(tmp_path):
    p = tmp_path / "photo.tflite"
    p.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\0" * 100)
    with pytest.raises(ModelError, match="photo.tflite is not a TFLite model"):
        read_model(p)


@pytest.mark.parametrize("keep", [0.5, 0.05])
def test_truncated_model(model_path, tmp_path, keep):
    p = tmp_path / "cut.tflite"
    data = model_path.read_bytes()
    p.write_bytes(data[: int(len(data) * keep)])
    with pytest.raises(ModelError, match="cut.tflite is corrupt or truncated"):
        read_model(p)


def test_classification_model_is_refused(model_path, tmp_path):
    p = single_output_model(model_path, tmp_path / "mobilenet_v1_classifier.tflite")
    with pytest.raises(ModelError, match="is a classification model .* needs an SSD detector"):
        read_model(p)
