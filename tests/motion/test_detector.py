"""`MotionDetector` on synthetic frames: still noise, a moving patch, masks, minimum area,
a sudden global change, and the settings' range checks."""

import cv2
import numpy as np
import pytest

from camapp.motion import MotionDetector, MotionMask, MotionSettings

H, W = 720, 1280


def noisy(base: np.ndarray, rng: np.random.Generator, sigma: float = 3.0) -> np.ndarray:
    noise = rng.normal(0, sigma, base.shape)
    return np.clip(base.astype(np.float32) + noise, 0, 255).astype(np.uint8)


@pytest.fixture()
def scene() -> np.ndarray:
    rng = np.random.default_rng(1)
    small = rng.integers(40, 200, (9, 16, 3), dtype=np.uint8)  # a still scene with shapes
    return cv2.resize(small, (W, H), interpolation=cv2.INTER_CUBIC)


def with_patch(base: np.ndarray, x: int, y: int, size: int = 80, value: int = 250) -> np.ndarray:
    out = base.copy()
    out[y : y + size, x : x + size] = value
    return out


def test_a_still_scene_with_camera_noise_has_no_motion(scene):
    rng = np.random.default_rng(2)
    md = MotionDetector()
    first = md.update(noisy(scene, rng))
    assert first.calibrating and not first.moving
    results = [md.update(noisy(scene, rng)) for _ in range(60)]
    assert not any(r.moving for r in results)
    assert not any(r.recalibrated for r in results)


def test_a_moving_patch_is_found_where_it_is_in_source_pixels(scene):
    rng = np.random.default_rng(3)
    md = MotionDetector()
    md.update(noisy(scene, rng))
    for step in range(5):
        x, y = 300 + 20 * step, 200
        r = md.update(noisy(with_patch(scene, x, y), rng))
        assert r.moving and r.shape == (H, W)
        x0, y0, x1, y1 = r.boxes.min(0)[0], r.boxes.min(0)[1], r.boxes.max(0)[2], r.boxes.max(0)[3]
        # the box covers the patch and stays near it (dilation and the small frame add a margin)
        assert x0 <= x and y0 <= y and x1 >= x + 80 and y1 >= y + 80
        assert x0 >= x - 60 and y0 >= y - 40 and x1 <= x + 80 + 60 and y1 <= y + 80 + 40


def test_motion_inside_a_mask_is_ignored_and_outside_it_is_not(scene):
    rng = np.random.default_rng(4)
    mask = MotionMask.parse("0.2,0.2,0.4,0.2,0.4,0.5,0.2,0.5")  # covers x 256-512, y 144-360
    md = MotionDetector(MotionSettings(masks=(mask,)))
    md.update(noisy(scene, rng))
    inside = md.update(noisy(with_patch(scene, 320, 200), rng))
    assert not inside.moving
    outside = md.update(noisy(with_patch(scene, 900, 400), rng))
    assert outside.moving and outside.boxes[:, 0].min() > 512


def test_minimum_area_ignores_smaller_motion(scene):
    rng = np.random.default_rng(5)
    # a 16 px patch is about 4x4 px at 320 wide, 16x16 with the dilation: 0.0044 of the small frame
    small, large = MotionSettings(min_area=0.001), MotionSettings(min_area=0.02)
    for settings, expected in ((small, True), (large, False)):
        md = MotionDetector(settings)
        md.update(noisy(scene, rng))
        assert md.update(noisy(with_patch(scene, 600, 300, size=16), rng)).moving is expected


def test_a_sudden_global_change_recalibrates_instead_of_firing(scene):
    rng = np.random.default_rng(6)
    md = MotionDetector()
    md.update(noisy(scene, rng))
    md.update(noisy(scene, rng))
    lit = cv2.convertScaleAbs(scene, alpha=1.0, beta=70)  # the lights come on
    r = md.update(noisy(lit, rng))
    assert r.recalibrated and r.calibrating and not r.moving and r.changed > 0.4
    assert md.calibrations == 1
    after = [md.update(noisy(lit, rng)) for _ in range(10)]
    assert not any(a.moving or a.recalibrated for a in after)  # the new light is the background
    moved = md.update(noisy(with_patch(lit, 700, 300), rng))
    assert moved.moving and not moved.recalibrated  # and motion is found again at once


def test_a_change_just_under_the_recalibration_share_is_motion(scene):
    rng = np.random.default_rng(7)
    md = MotionDetector(MotionSettings(recalibrate=0.5))
    md.update(noisy(scene, rng))
    half = scene.copy()
    half[:, : int(W * 0.3)] = 255  # 30% of the frame changes: a large object, not the light
    r = md.update(noisy(half, rng))
    assert r.moving and not r.recalibrated and 0.2 < r.changed < 0.5


def test_sensitivity_maps_to_a_grey_difference_and_its_range_is_checked():
    assert MotionSettings(sensitivity=0.0).difference == 60
    assert MotionSettings(sensitivity=1.0).difference == 4
    assert MotionSettings().difference == 32
    for bad in (-0.01, 1.01, float("nan")):
        with pytest.raises(ValueError, match="sensitivity must be between 0 and 1"):
            MotionSettings(sensitivity=bad)
    with pytest.raises(ValueError, match="minimum area must be between 0 and 1"):
        MotionSettings(min_area=2)


def test_a_higher_sensitivity_sees_fainter_motion(scene):
    rng = np.random.default_rng(8)
    faint = with_patch(scene, 500, 300, size=100, value=0)
    faint = cv2.addWeighted(scene, 0.8, faint, 0.2, 0)  # about 25 grey levels darker
    seen = {}
    for s in (0.2, 0.9):
        md = MotionDetector(MotionSettings(sensitivity=s))
        md.update(noisy(scene, rng))
        seen[s] = md.update(noisy(faint, rng)).moving
    assert seen == {0.2: False, 0.9: True}


@pytest.mark.parametrize(
    "text,reason",
    [
        ("0.1,0.1,0.5,0.5", "at least 3 points, got 2"),
        ("0.1,0.1,0.5,0.5,0.3", "odd count"),
        ("0.1,0.1,0.5,1.5,0.3,0.2", "between 0 and 1"),
        ("0.1,0.1,0.2,0.2,0.3,0.3", "no area"),
        ("a,b,c,d,e,f", "not a comma-separated list"),
    ],
)
def test_bad_masks_are_one_line_errors(text, reason):
    with pytest.raises(ValueError, match=reason) as exc:
        MotionMask.parse(text)
    assert "\n" not in str(exc.value) and "--motion-mask" in str(exc.value)


def test_a_mask_parses_back_to_its_text():
    m = MotionMask.parse("0,0, 0.5,0, 0.5,0.25")
    assert m.points == ((0.0, 0.0), (0.5, 0.0), (0.5, 0.25)) and m.text() == "0,0,0.5,0,0.5,0.25"
