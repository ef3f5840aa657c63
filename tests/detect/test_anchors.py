"""The SSD anchor recipe against the anchors the shipped model carries."""

import numpy as np
import pytest
from conftest import SHARED_MODEL, need

from camapp.detect.anchors import grid_sizes, ssd_anchors
from camapp.detect.rewrite import embedded_anchors, generated_anchors, resize_problem
from camapp.tflite.model import read_model


@pytest.fixture(scope="module")
def ssd_model():
    return read_model(need(SHARED_MODEL / "detect.tflite"))


def test_grids_follow_the_network_strides():
    assert grid_sizes(300) == [19, 10, 5, 3, 2, 1]
    assert grid_sizes(272) == [17, 9, 5, 3, 2, 1]
    assert grid_sizes(112) == [7, 4, 2, 1, 1, 1]


def test_anchor_count_matches_the_shipped_1917():
    # 19*19*3 + (10*10 + 5*5 + 3*3 + 2*2 + 1) * 6
    assert ssd_anchors(300).shape == (1917, 4)


def test_generated_anchors_at_300_equal_the_embedded_ones_byte_for_byte(ssd_model):
    stored = embedded_anchors(ssd_model)
    generated = generated_anchors(ssd_model, 300)
    assert stored.dtype == np.uint8 and generated.dtype == np.uint8
    assert generated.tobytes() == stored.tobytes()
    assert resize_problem(ssd_model) is None


def test_pixel_consistent_anchors_keep_their_size_in_pixels():
    native, small = ssd_anchors(300), ssd_anchors(150, native_size=300)
    # same layer-0 box kinds (3 per cell): h, w in pixels are equal at both sizes
    np.testing.assert_allclose(small[:3, 2:] * 150, native[:3, 2:] * 300, rtol=1e-6)
    plain = ssd_anchors(150)
    np.testing.assert_allclose(plain[:3, 2:], native[:3, 2:], rtol=1e-6)
    # centres are a property of the grid, not of the scaling
    np.testing.assert_array_equal(small[:, :2], plain[:, :2])


@pytest.mark.parametrize("size", [272, 240, 112])
def test_smaller_inputs_have_fewer_anchors(size):
    g = grid_sizes(size)
    expected = g[0] ** 2 * 3 + sum(n * n * 6 for n in g[1:])
    assert ssd_anchors(size).shape == (expected, 4) and expected < 1917
