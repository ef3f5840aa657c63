"""Frame gates on synthetic frames with media times: detect-every, the region, and the motion
gate (motion, no motion, keep-alive, followed objects keep it open, still ones do not)."""

import time

import cv2
import numpy as np
import pytest

from camapp.motion import MotionMask, MotionSettings
from camapp.pipeline.gate import EveryGate, Followed, Gates, MotionGate, OffGate, Plan, RoiGate, outside
from camapp.track.regions import Roi
from camapp.types import Detections, Frame

FPS = 15.0
H, W = 720, 1280


@pytest.fixture(scope="module")
def scene() -> np.ndarray:
    rng = np.random.default_rng(1)
    return cv2.resize(
        rng.integers(40, 200, (9, 16, 3), dtype=np.uint8), (W, H), interpolation=cv2.INTER_CUBIC
    )


class Clip:
    """Frames of `scene` with camera noise (sigma 3) at 15 fps; `patch_at(i)` places a bright
    square (or None)."""

    def __init__(self, scene: np.ndarray, seed: int = 0) -> None:
        self.scene = scene
        self.rng = np.random.default_rng(seed)
        self.noise = [self.rng.normal(0, 3, scene.shape).astype(np.float32) for _ in range(4)]

    def frame(self, i: int, patch: tuple[int, int] | None = None) -> Frame:
        image = self.scene.copy()
        if patch is not None:
            x, y = patch
            image[y : y + 90, x : x + 90] = 250
        image = np.clip(image + self.noise[i % 4], 0, 255).astype(np.uint8)
        return Frame(image, time.monotonic(), i, media_time=i / FPS)


def run(gates: Gates, clip: Clip, n: int, patch=lambda i: None, each=None) -> list[Plan]:
    plans = []
    for i in range(n):
        frame = clip.frame(i, patch(i))
        plans.append(gates.plan(frame))
        if each is not None:
            each(i, frame, plans[-1])
    return plans


def detected(plans: list[Plan]) -> list[int]:
    return [i for i, p in enumerate(plans) if p.detect]


def test_every_gate_detects_the_first_and_every_nth_frame(scene):
    plans = run(Gates([EveryGate(3)]), Clip(scene), 10)
    assert detected(plans) == [0, 3, 6, 9]
    with pytest.raises(ValueError):
        EveryGate(0)


def test_roi_gate_plans_the_crop_in_pixels(scene):
    roi = Roi.parse("0.25,0.5,0.75,1")
    (plan,) = run(Gates([RoiGate(roi)]), Clip(scene), 1)
    assert plan.detect and plan.regions == ((320, 360, 960, 720),)


def test_no_motion_detects_only_the_first_frame_and_the_keep_alive(scene):
    gate = MotionGate(keepalive_s=1.0)
    plans = run(Gates([gate]), Clip(scene), 60)  # 4 s of a still, noisy scene
    assert detected(plans) == [0, 15, 30, 45]
    assert [plans[i].why for i in (0, 15, 30, 45)] == [
        "calibrating",
        "keep-alive",
        "keep-alive",
        "keep-alive",
    ]
    assert not any(p.moving for p in plans) and gate.starts == 0


def test_motion_opens_the_gate_and_it_closes_a_linger_after_the_motion_ends(scene):
    changes = []
    gate = MotionGate(
        keepalive_s=10.0, linger_s=1.0, on_change=lambda on, f, r: changes.append((on, f.index))
    )
    # still for 1 s, a square moves for 1 s (frames 15-29), then it is gone
    plans = run(Gates([gate]), Clip(scene), 75, patch=lambda i: (200 + 12 * i, 300) if 15 <= i < 30 else None)
    det = detected(plans)
    assert det[0] == 0 and 1 not in det
    # the frame the square disappears differs from the background too; 1 s later motion is off
    assert set(range(15, 31)) <= set(det)
    last = max(det)
    # the linger (1 s), after a short ghost of the square's last place (the background forgets it
    # within about 0.7 s)
    assert 30 <= last <= 30 + 15 + 12
    assert all(p.why == "motion" for p in plans[15:30])
    assert changes[0] == (True, 15) and changes[1][0] is False and changes[1][1] == last + 1
    assert gate.starts == 1 and plans[20].motion is not None and plans[20].motion.moving


def test_a_followed_object_that_moves_keeps_the_gate_open_without_motion(scene):
    followed = Followed(still_s=2.0)
    gate = MotionGate(keepalive_s=100.0, refresh_s=100.0, followed=followed)
    names = ("person",)

    def feed(i: int, frame: Frame, plan: Plan) -> None:  # what the tracker hands on, per frame
        x = 100 + 20 * i if i < 30 else 100 + 20 * 30  # moves for 2 s, then stands
        box = [x, 200, x + 60, 400]
        followed.update(
            Detections([box], [0.9], [0], names, track_ids=[1]), frame.media_time, frame.image.shape
        )

    plans = run(Gates([gate]), Clip(scene), 90, each=feed)
    det = detected(plans)
    assert set(range(0, 31)) <= set(det)  # moving: open although the picture does not change
    assert all(p.why == "followed" for p in plans[1:30])
    # standing since frame 30: open for still_s more (2 s = 30 frames), then closed
    assert max(det) in (59, 60) and not set(range(62, 90)) & set(det)


def test_a_still_followed_object_gets_a_refresh_and_its_fidgeting_is_not_motion(scene):
    followed = Followed(still_s=0.5)
    gate = MotionGate(keepalive_s=100.0, refresh_s=1.0, followed=followed)
    names = ("person",)
    box = [560, 250, 760, 500]  # the square below fidgets inside this box

    def feed(i: int, frame: Frame, plan: Plan) -> None:
        followed.update(
            Detections([box], [0.9], [0], names, track_ids=[7]), frame.media_time, frame.image.shape
        )

    plans = run(Gates([gate]), Clip(scene), 75, patch=lambda i: (600 + 10 * (i % 3), 300), each=feed)
    det = detected(plans)
    # still from 0.5 s on, and motion (news until then) lingers 1 s more: closed by frame 25
    assert not {23, 24, 25, 26} & set(det)
    later = [i for i in det if i >= 23]
    assert len(later) >= 2 and all(plans[i].why == "keep-alive" for i in later)
    assert all(b - a == 15 for a, b in zip(later, later[1:]))  # once a second, not every frame
    # motion outside the still object's box is news again
    (p,) = run(Gates([gate]), Clip(scene), 1, patch=lambda i: (100, 100))
    assert p.detect and p.why == "motion"


def test_outside_keeps_motion_not_within_a_cover():
    boxes = np.array([[10, 10, 20, 20], [100, 100, 200, 200]])
    assert outside(boxes, [(0, 0, 30, 30)]).tolist() == [[100, 100, 200, 200]]
    assert len(outside(boxes, [])) == 2


def test_a_mask_hides_motion_from_the_gate(scene):
    mask = MotionMask.parse("0.1,0.3,0.9,0.3,0.9,0.8,0.1,0.8")
    gate = MotionGate(MotionSettings(masks=(mask,)), keepalive_s=100.0)
    plans = run(Gates([gate]), Clip(scene), 30, patch=lambda i: (200 + 12 * i, 300) if i >= 10 else None)
    assert detected(plans) == [0]


def test_the_gates_combine_in_order_and_motion_sees_every_frame(scene):
    gate = MotionGate(keepalive_s=100.0)
    plans = run(
        Gates([EveryGate(2), gate]), Clip(scene), 30, patch=lambda i: (200 + 12 * i, 300) if i >= 10 else None
    )
    assert detected(plans) == [0] + [i for i in range(10, 30) if i % 2 == 0]
    assert all(p.motion is not None for p in plans)  # odd frames too: the background learns all


def test_the_off_gate_first_no_later_gate_detects_and_motion_is_still_measured(scene):
    gate = MotionGate(keepalive_s=0.5)
    plans = run(
        Gates([OffGate(), EveryGate(1), gate]),
        Clip(scene),
        30,
        patch=lambda i: (200 + 12 * i, 300) if i >= 10 else None,
    )
    assert detected(plans) == [] and all(p.off for p in plans)
    assert all(p.motion is not None for p in plans) and plans[20].moving and gate.starts == 1
    assert not any(p.off for p in run(Gates([EveryGate(1)]), Clip(scene), 2))


def test_motion_regions_are_squares_around_the_motion_at_the_input_size(scene):
    gate = MotionGate(regions=True, keepalive_s=100.0, input_size=lambda: 300)
    plans = run(Gates([gate]), Clip(scene), 12, patch=lambda i: (700 + 10 * i, 200) if i >= 10 else None)
    plan = plans[11]
    assert plan.detect and plan.regions is not None and len(plan.regions) == 1
    x0, y0, x1, y1 = plan.regions[0]
    assert x1 - x0 == y1 - y0 >= 300
    assert x0 <= 800 and x1 >= 890 and y0 <= 200 and y1 >= 290  # the square holds the patch
    assert plans[0].regions is None  # calibrating and keep-alive detections see the whole frame
