"""Fixtures the detector tests share: the real model parsed, and its labels."""

import pytest
from conftest import SHARED_MODEL, need

from camapp.labels import load_labels
from camapp.tflite.model import read_model


@pytest.fixture(scope="module")
def ssd_model():
    return read_model(need(SHARED_MODEL / "detect.tflite"))


@pytest.fixture(scope="module")
def names():
    return load_labels(need(SHARED_MODEL / "labelmap.txt"))
