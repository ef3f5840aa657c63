"""Both TFLite runtimes: LiteRT (default) and TensorFlow's interpreter (the `tensorflow` extra).

CI runs the detector tests twice, the second time with CAMAPP_RUNTIME=tensorflow in a venv that
has TensorFlow; there the cross-check below runs for real.
"""

from __future__ import annotations

import importlib.util
import os

import numpy as np
import pytest

from camapp.detect import open_detector
from camapp.errors import CamappError
from camapp.tflite.runtime import get_runtime


def test_forced_runtime_is_the_one_used(detector):
    wanted = os.environ.get("CAMAPP_RUNTIME")
    assert detector.runtime.name == (wanted or "litert")


def test_unknown_runtime_is_a_user_error():
    with pytest.raises(CamappError, match="unknown runtime 'onnx'"):
        get_runtime("onnx")


@pytest.mark.skipif(
    importlib.util.find_spec("tensorflow") is None, reason="TensorFlow not installed (CI's second job has it)"
)
def test_tensorflow_and_litert_give_identical_detections(model_store, image):
    img = image("kite_and_cold.jpg")
    results = []
    for name in ("litert", "tensorflow"):
        det = open_detector(threshold=0.3, runtime=get_runtime(name))
        assert det.runtime.name == name
        results.append(det.detect(img))
    a, b = results
    assert len(a) >= 5 and len(a) == len(b)
    np.testing.assert_array_equal(a.class_ids, b.class_ids)
    np.testing.assert_allclose(a.boxes, b.boxes, atol=0.5)
    np.testing.assert_allclose(a.scores, b.scores, atol=1e-6)
