"""The real model on the real photos (shared data), on the CPU."""

import numpy as np
import pytest

from camapp.detect import open_detector
from camapp.errors import CamappError


@pytest.mark.parametrize(
    "name,expected",
    [
        ("grace_hopper.bmp", {"person", "tie"}),
        ("cat.bmp", {"cat"}),
        ("kite_and_cold.jpg", {"person", "kite"}),
    ],
)
def test_finds_what_is_in_the_photo(detector, image, name, expected):
    dets = detector.detect(image(name))
    assert expected <= set(dets.labels)


def test_pets_two_dogs_boxes_in_source_pixels(detector, image):
    img = image("pets.jpg")
    dets = detector.detect(img)
    dogs = dets[np.array([lbl == "dog" for lbl in dets.labels], bool)]
    assert len(dogs) == 2
    h, w = img.shape[:2]
    assert np.all(dogs.boxes[:, [0, 2]] <= w) and np.all(dogs.boxes[:, [1, 3]] <= h)
    # two different dogs: side by side, boxes barely overlap
    (a, b) = sorted(dogs.boxes.tolist())
    assert a[2] < b[2] and a[0] < b[0]


def test_threshold_and_class_filter_apply_after_inference(detector, image):
    img = image("kite_and_cold.jpg")
    everything = detector.detect(img)
    detector.classes = frozenset({0})  # person
    people = detector.detect(img)
    assert set(people.labels) == {"person"} and len(people) < len(everything)
    detector.threshold = 0.99
    assert len(detector.detect(img)) == 0


def test_unknown_size_is_a_user_error(detector):
    with pytest.raises(CamappError, match="input size 123"):
        detector.set_input_size(123)


def test_unknown_device_is_a_user_error(model_store):
    with pytest.raises(CamappError, match="unknown device"):
        open_detector(device="gpu")
