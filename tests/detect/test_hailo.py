"""`--device hailo` through `camapp run`, with Picamera2's `Hailo` class FAKED (this machine has
no Hailo chip). The fake stands at the vendor boundary only: it has the methods camapp calls
(`get_input_shape`, `describe`, `run`, `close`) and returns what Hailo documents for a HEF with
NMS post-processing: one list per class of normalized [ymin, xmin, ymax, xmax, score] rows.
Everything above it (the shared SSD layer, the session, the pipeline, the log) is real.
"""

import json
import shutil
import sys
import types

import cv2
import numpy as np
import pytest
from conftest import PERSON_CLIP, SHARED_MODEL, need

from camapp.cli import main
from camapp.detect import open_detector, usable_devices
from camapp.detect.hailo import nms_by_class
from camapp.errors import CamappError, ModelError

CLASSES = 90  # the model zoo's ssd_mobilenet_v1 (COCO, background dropped)


def fake_hailo_modules(
    monkeypatch, *, shape=(300, 300, 3), outputs=1, fail=None, calls=None, classes=CLASSES
):
    """FAKE `picamera2.devices.hailo` for a Pi with an AI HAT+; `fail` is what the constructor raises.
    `calls` records what it was asked, with the frames it was given ("input", the array)."""
    calls = calls if calls is not None else []

    class Hailo:  # FAKE of picamera2.devices.hailo.Hailo
        def __init__(self, hef_path, batch_size=None, output_type="FLOAT32"):
            if fail is not None:
                raise fail
            calls.append(("open", hef_path))

        def get_input_shape(self):
            return shape

        def describe(self):
            ins = [("ssd_mobilenet_v1/input_layer1", shape, "UINT8")]
            outs = [(f"ssd_mobilenet_v1/nms{i}", (classes, 5, 100), "FLOAT32") for i in range(outputs)]
            return ins, outs

        def run(self, input_data):
            assert input_data.shape == shape and input_data.dtype == np.uint8  # one RGB frame, no batch axis
            calls.append(("run", input_data.shape))
            calls.append(("input", input_data.copy()))
            per_class = [np.zeros((0, 5), np.float32) for _ in range(classes)]
            per_class[0] = np.array([[0.25, 0.10, 0.75, 0.50, 0.87]], np.float32)  # a person
            per_class[43] = np.array([[0.0, 0.0, 0.2, 0.2, 0.31]], np.float32)  # a bottle, under 0.5
            return per_class

        def close(self):
            calls.append(("close",))

    package = types.ModuleType("picamera2")
    devices = types.ModuleType("picamera2.devices")
    hailo = types.ModuleType("picamera2.devices.hailo")
    hailo.Hailo = Hailo
    package.devices, devices.hailo = devices, hailo
    for name, module in (
        ("picamera2", package),
        ("picamera2.devices", devices),
        ("picamera2.devices.hailo", hailo),
    ):
        monkeypatch.setitem(sys.modules, name, module)
    return calls


@pytest.fixture
def hef(tmp_path):
    """A HEF file (its bytes are the fake's business) with the COCO label map beside it."""
    path = tmp_path / "ssd_mobilenet_v1.hef"
    path.write_bytes(b"HEF stand-in: the fake Hailo class does not read it")
    shutil.copy(need(SHARED_MODEL / "labelmap.txt"), tmp_path / "labelmap.txt")
    return path


def test_camapp_run_puts_hailos_box_in_source_pixels(monkeypatch, hef, tmp_path, capsys):
    calls = fake_hailo_modules(monkeypatch)
    log = tmp_path / "log.jsonl"
    rc = main(
        ["run", "--headless", "--source", str(need(PERSON_CLIP)), "--device", "hailo", "--model", str(hef)]
        + ["--no-realtime", "--max-frames", "4", "--log", str(log)]
    )
    out = capsys.readouterr().out
    assert rc == 0, out
    assert "model: hailo" in out and "input 300" in out
    rows = [json.loads(line) for line in log.read_text().splitlines()]
    assert len(rows) == 4
    for row in rows:  # 768x432 frames: x * 768, y * 432
        assert row["detections"] == [
            {"label": "person", "class_id": 0, "score": 0.87, "box": [76.8, 108.0, 384.0, 324.0]}
        ]
    assert calls[0] == ("open", str(hef)) and ("close",) in calls
    assert sum(c[0] == "run" for c in calls) >= 4


def test_the_score_at_the_threshold_is_kept_and_classes_follow_the_list_index(monkeypatch, hef):
    fake_hailo_modules(monkeypatch)
    det = open_detector(str(hef), device="hailo", threshold=0.31)
    image = np.zeros((480, 640, 3), np.uint8)
    got = det.detect(image)
    assert got.labels == ["person", "bottle"]  # list index 43 is line 45 of the label map
    assert got.class_ids.tolist() == [0, 43] and got.scores.tolist() == pytest.approx([0.87, 0.31])
    det.threshold = 0.3101
    assert det.detect(image).class_ids.tolist() == [0]
    # one input size: the slider's stops are regions named by the network's 300 times their zoom
    assert det.input_sizes == (300, 450, 600, 900, 1200) and det.input_size == 300
    assert "compiled for one input size (300x300)" in det.fixed_input_reason
    det.close()


def test_a_yolov8s_hef_reads_the_same_way(monkeypatch, tmp_path):
    """Raspberry Pi's yolov8s_h8l.hef: 640x640 input, 80 classes, the same NMS-by-class output, and
    an 80-name label file beside it named coco.txt, as picamera2's example names it."""
    fake_hailo_modules(monkeypatch, shape=(640, 640, 3), classes=80)
    hef = tmp_path / "yolov8s_h8l.hef"
    hef.write_bytes(b"HEF stand-in")
    (tmp_path / "coco.txt").write_text("\n".join(["person"] + [f"class{i}" for i in range(1, 80)]) + "\n")
    det = open_detector(str(hef), device="hailo")
    got = det.detect(np.zeros((720, 1280, 3), np.uint8))
    assert det.input_sizes[0] == 640 and det.input_size == 640 and got.labels == ["person"]
    assert got.boxes.tolist() == [[128.0, 180.0, 640.0, 540.0]]  # x * 1280, y * 720
    det.close()


def test_nms_by_class_with_no_detections_and_a_wrong_shape():
    empty = nms_by_class([np.zeros((0, 5), np.float32)] * 3)
    assert empty.count == 0 and empty.boxes.shape == (0, 4)
    with pytest.raises(ModelError, match="NMS-by-class"):
        nms_by_class({"yolov8s/conv1": np.zeros((80, 80, 64))})  # a HEF without NMS: raw heads by name


def one_line(capsys, argv):
    rc = main(argv)
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1, err
    return rc, err[0]


def run_args(hef, *extra):
    return ["run", "--headless", "--source", str(need(PERSON_CLIP)), "--device", "hailo", *extra] + (
        ["--model", str(hef)] if hef else []
    )


def test_missing_library_is_one_line(monkeypatch, hef, capsys):
    """As on this machine: no picamera2/hailo_platform (None in sys.modules makes the import fail)."""
    monkeypatch.setitem(sys.modules, "picamera2", None)
    rc, err = one_line(capsys, run_args(hef))
    assert (
        rc == 2 and "Hailo's Python support is not importable" in err and "sudo apt install hailo-all" in err
    )


def test_missing_device_is_one_line(monkeypatch, hef, capsys):
    """No chip answers: the fake raises a multi-line error shaped like HailoRT's (its status name last)."""
    text = "Failed to create vdevice. there are not enough free devices. requested: 1, found: 0"
    fake_hailo_modules(monkeypatch, fail=RuntimeError(f"{text}\nHAILO_OUT_OF_PHYSICAL_DEVICES(74)"))
    rc, err = one_line(capsys, run_args(hef))
    assert rc == 2 and "cannot load ssd_mobilenet_v1.hef on the Hailo device: Failed to create vdevice" in err


@pytest.mark.parametrize(
    "model,extra,reason",
    [
        (None, [], "pass --model FILE.hef"),
        ("{tmp}/detect.tflite", [], "pass --model FILE.hef"),
        ("{tmp}/missing.hef", [], "model file not found"),
        ("{hef}", ["--input-size", "272"], "input size 272 is not available on hailo: its network takes 300"),
    ],
)
def test_bad_model_or_size_is_one_line(monkeypatch, hef, tmp_path, capsys, model, extra, reason):
    calls = fake_hailo_modules(monkeypatch)
    path = model.format(tmp=tmp_path, hef=hef) if model else None
    rc, err = one_line(capsys, run_args(path, *extra))
    assert rc == 2 and reason in err
    assert sum(c[0] == "open" for c in calls) == sum(c[0] == "close" for c in calls)  # the chip is released


def test_a_hef_without_nms_is_refused(monkeypatch, hef, capsys):
    fake_hailo_modules(monkeypatch, outputs=6)  # raw SSD heads: camapp does not decode them
    rc, err = one_line(capsys, run_args(hef))
    assert rc == 2 and "has 6 outputs: camapp needs an RGB detector compiled with Hailo's NMS" in err


def test_devices_lists_the_hat_and_the_app_offers_it(monkeypatch, tmp_path, capsys):
    """A fake sysfs with the Hailo PCIe driver's device, and the fake library importable."""
    (tmp_path / "class" / "hailo_chardev" / "hailo0").mkdir(parents=True)
    fake_hailo_modules(monkeypatch)
    assert main(["devices", "--no-open", "--sysfs", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "Raspberry Pi AI Kit / AI HAT+ (Hailo-8L, Hailo-8): /dev/hailo0" in out
    assert "use it: --device hailo --model" in out
    assert ("hailo", "Hailo AI HAT+") in [(f.device, f.label) for f in usable_devices(tmp_path)]


def test_devices_says_what_is_missing(monkeypatch, tmp_path, capsys):
    (tmp_path / "class" / "hailo_chardev" / "hailo0").mkdir(parents=True)
    monkeypatch.setitem(sys.modules, "picamera2", None)
    assert main(["devices", "--no-open", "--sysfs", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "/dev/hailo0\n    fix: Hailo's Python support is not importable" in out
    assert "hailo" not in [f.device for f in usable_devices(tmp_path)]
    assert main(["devices", "--no-open", "--sysfs", str(tmp_path / "none")]) == 0
    assert "none found (no " in capsys.readouterr().out


def test_the_slider_crops_the_region_the_hef_sees_and_boxes_land_in_frame_pixels(monkeypatch, hef):
    """Stop 600 of a 300x300 HEF is zoom 2: the network gets the frame's central half, resized to
    300x300, and its box (normalized to what it saw) is put back in the whole frame."""
    calls = fake_hailo_modules(monkeypatch)
    det = open_detector(str(hef), device="hailo")
    frame = np.random.default_rng(1).integers(0, 255, (432, 768, 3), dtype=np.uint8)
    det.set_input_size(600)
    got = det.detect(frame)
    # the central half of 768x432 is x 192..576, y 108..324; the fake's person is at
    # y 0.25..0.75, x 0.10..0.50 of it: x 192 + 0.1 * 384 = 230.4 .. 384, y 108 + 54 = 162 .. 270
    assert got.boxes.tolist() == [pytest.approx([230.4, 162.0, 384.0, 270.0], abs=1e-3)]
    seen = [c[1] for c in calls if c[0] == "input"][-1]
    expected = cv2.cvtColor(cv2.resize(frame[108:324, 192:576], (300, 300)), cv2.COLOR_BGR2RGB)
    assert np.array_equal(seen, expected)  # what the chip was given: the crop, not the frame
    det.set_input_size(300)  # the whole frame again
    assert det.detect(frame).boxes.tolist() == [pytest.approx([76.8, 108.0, 384.0, 324.0], abs=1e-3)]
    det.close()


def test_a_tensor_made_before_the_region_moved_is_made_again(monkeypatch, hef):
    """The pipeline makes the next frame's tensor ahead; if the slider moved meanwhile, the boxes
    must not be mapped through a region the tensor was not cut from."""
    calls = fake_hailo_modules(monkeypatch)
    det = open_detector(str(hef), device="hailo")
    frame = np.random.default_rng(2).integers(0, 255, (432, 768, 3), dtype=np.uint8)
    ahead = det.input_tensor(frame)  # made at zoom 1
    det.set_input_size(1200)  # zoom 4: x 288..480, y 162..270
    got = det.detect(frame, ahead)
    seen = [c[1] for c in calls if c[0] == "input"][-1]
    assert np.array_equal(
        seen, cv2.cvtColor(cv2.resize(frame[162:270, 288:480], (300, 300)), cv2.COLOR_BGR2RGB)
    )
    assert got.boxes.tolist() == [pytest.approx([288 + 19.2, 162 + 27.0, 384.0, 243.0], abs=1e-3)]
    det.close()


def test_camapp_run_with_a_region_and_the_session_refuses_auto(monkeypatch, hef, tmp_path, capsys):
    from camapp.session import ModelSpec, Session

    fake_hailo_modules(monkeypatch)
    log = tmp_path / "log.jsonl"
    args = ["--no-realtime", "--max-frames", "2", "--input-size", "600", "--log", str(log)]
    assert main(run_args(hef, *args)) == 0, capsys.readouterr()
    rows = [json.loads(line) for line in log.read_text().splitlines()]
    assert [d["box"] for r in rows for d in r["detections"]] == [[230.4, 162.0, 384.0, 270.0]] * 2
    session = Session()
    try:
        session.open(str(need(PERSON_CLIP)), ModelSpec(model=str(hef), device="hailo")).result(timeout=30)
        assert session.info.zooms == (1, 1.5, 2, 3, 4) and session.status()["model"]["zooms"] == [
            1,
            1.5,
            2,
            3,
            4,
        ]
        with pytest.raises(
            CamappError, match="auto picks an input size by speed; on hailo the network's input"
        ):
            session.set_input_size("auto").result(timeout=5)
    finally:
        session.close(timeout=10)
