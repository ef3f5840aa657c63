"""`--source picam --device imx500` through `camapp run`, with Picamera2 FAKED at the vendor
boundary (this machine has no AI Camera): `Picamera2` (the requests it hands out carry the
person clip's real frames) and `picamera2.devices.IMX500` with the methods camapp calls
(`get_outputs`, `convert_inference_coords`, `get_input_size`, `get_kpi_info`,
`network_intrinsics`, `set_inference_roi_abs`, `fw_progress`, `get_fw_upload_progress`),
returning what the SSD MobileNet v2 FPNLite `_pp.rpk` network gives: boxes in input pixels (yx
order), scores, classes, count. The fake's coordinate conversion is Picamera2's own arithmetic
(`convert_inference_coords`, libcamera's integer Rectangle operations): relative coordinates on
the full sensor, bounded to the inference region set, scaled to the raw stream, bounded to the
ISP's crop and scaled to the main stream. The firmware upload's progress is a scripted list of
(done, total) readings, read during the camera's start as the kernel reports it on a Pi.
Everything above the fake (the Pi camera source, the link, the session, pipeline and log) is real.
"""

import json
import sys
import threading
import time
import types
from types import SimpleNamespace

import numpy as np
import pytest
from conftest import PERSON_CLIP, need

from camapp.cli import main
from camapp.detect import open_detector, usable_devices
from camapp.detect.imx500 import central_region, parse_device
from camapp.errors import CamappError, DeviceError
from camapp.hw import imx500 as hw
from tests.sources.test_picamera import clip_frames

INPUT = 320
IMX500_INFO = {
    "Model": "imx500",
    "Location": 2,
    "Rotation": 0,
    "Id": "/base/axi/pcie@120000/rp1/i2c@80000/imx500@1a",
    "Num": 0,
}
IMX708_INFO = {
    "Model": "imx708",
    "Location": 2,
    "Rotation": 180,
    "Id": "/base/soc/i2c0mux/i2c@1/imx708@1a",
    "Num": 0,
}


def person_box(seq):
    """The box the fake network reports on frame `seq` (input pixels, yx): it moves 4 px a frame,
    so a box logged against the wrong frame's metadata is caught."""
    x0 = 32 + 4 * seq
    return [80.0, float(x0), 240.0, float(x0 + 128)]


FULL = (4056, 3040)  # the IMX500's full sensor, Picamera2's inference-region space
RAW = (2028, 1520)  # the raw stream's size in the fake camera configuration


def scaled(rect, num, den):
    """libcamera's Rectangle::scaledBy: integer, truncating."""
    x, y, w, h = rect
    return (x * num[0] // den[0], y * num[1] // den[1], w * num[0] // den[0], h * num[1] // den[1])


def bounded(rect, bound):
    """libcamera's Rectangle::boundedTo: the intersection (empty: zero size)."""
    x, y = max(rect[0], bound[0]), max(rect[1], bound[1])
    x1 = min(rect[0] + rect[2], bound[0] + bound[2])
    y1 = min(rect[1] + rect[3], bound[1] + bound[3])
    return (x, y, max(x1 - x, 0), max(y1 - y, 0))


def picamera2_convert(coords, main_size, roi, scaler_crop=(0, 0, *FULL)):
    """Picamera2's IMX500.convert_inference_coords, step by step (picamera2/devices/imx500/imx500.py)."""
    y0, x0, y1, x1 = coords
    obj = tuple(
        int(max(v, 0)) for v in (x0 * FULL[0], y0 * FULL[1], (x1 - x0) * FULL[0], (y1 - y0) * FULL[1])
    )
    sensor_crop = scaled(scaler_crop, RAW, FULL)
    obj = bounded(obj, roi)  # "Make sure the object is bound to the user requested ROI."
    obj = bounded(scaled(obj, RAW, FULL), sensor_crop)
    obj = (obj[0] - sensor_crop[0], obj[1] - sensor_crop[1], obj[2], obj[3])
    return scaled(obj, main_size, sensor_crop[2:])


def fake_vendor(
    monkeypatch,
    *,
    camera=IMX500_INFO,
    frames=(),
    intrinsics=None,
    no_output_first=True,
    boxes=None,
    upload=None,
    upload_in_start=True,
):
    """FAKE `picamera2` and `picamera2.devices` for a Pi with one camera (`camera`). `boxes(seq)`:
    the network's boxes on frame `seq` (default: the moving person and a small bottle); `upload`:
    the (done, total) readings of the firmware upload, consumed while the camera starts (or, with
    `upload_in_start=False`, while frames already flow)."""
    log = {"configs": [], "rois": [], "converted": [], "released": 0, "opened": [], "readings": 0}
    boxes = boxes or (lambda seq: [person_box(seq), [0, 0, 32, 32]])
    readings = list(upload or ())
    uploaded = threading.Event()
    if not readings or not upload_in_start:
        uploaded.set()
    frames = list(frames) or clip_frames(100, 4)
    net = intrinsics or SimpleNamespace(
        task="object detection",
        inference_rate=30.0,
        bbox_normalization=True,
        bbox_order="yx",
        labels=None,
        ignore_dash_labels=None,
        postprocess=None,
    )

    class Request:  # FAKE of picamera2.CompletedRequest
        def __init__(self, seq, image, size):
            self.seq, self.image, self.size = seq, image, size

        def make_array(self, name):
            assert name == "main"
            return self.image.copy()

        def get_metadata(self):
            md = {"ScalerCrop": (0, 0, 4056, 3040), "SensorTimestamp": 1000 * self.seq, "Seq": self.seq}
            # the first frame comes before the network's output; none while its firmware uploads
            if (self.seq > 0 or not no_output_first) and not readings:
                md["CnnOutputTensor"] = ("boxes, scores, classes, count", self.seq)
                md["CnnKpiInfo"] = [4200, 1100]  # microseconds: DNN, DSP
            return md

        def release(self):
            log["released"] += 1

    class Picamera2:  # FAKE of picamera2.Picamera2
        @staticmethod
        def global_camera_info():
            return [camera]

        def __init__(self, camera_num=0):
            log["opened"].append(camera_num)
            self.seq = 0

        def create_video_configuration(self, main=None, controls=None, buffer_count=6):
            return {"main": dict(main or {}), "controls": dict(controls or {}), "buffer_count": buffer_count}

        def configure(self, config):
            log["configs"].append(config)
            self.config = config

        def start(self):
            assert uploaded.wait(10), "the upload's progress was never read"  # the upload runs at start

        def camera_configuration(self):
            h, w = frames[0].shape[:2]
            return {
                "main": {**self.config["main"], "size": (w, h)},
                "raw": {"size": RAW},
                "controls": dict(self.config["controls"]),
            }

        def capture_request(self):
            h, w = frames[0].shape[:2]
            request = Request(self.seq, frames[self.seq % len(frames)], (w, h))
            self.seq += 1
            return request

        def capture_array(self, name="main"):
            raise AssertionError("with the AI Camera the image and its metadata come from one request")

        def stop(self):
            pass

        def close(self):
            pass

    class IMX500:  # FAKE of picamera2.devices.IMX500
        def __init__(self, network_file, camera_id="", tensor_injection=False):
            if camera["Model"] != "imx500":
                raise RuntimeError("IMX500: Requested camera dev-node not found")
            self.camera_num = camera["Num"]
            self.network_intrinsics = net
            self.fw_progress = 1  # FwProgressType.DIRECT
            self.roi = (0, 0, *FULL)  # Picamera2 sets the whole sensor in __init__
            log["network"] = network_file

        def get_input_size(self):
            return (INPUT, INPUT)

        def get_fw_upload_progress(self, stage_req):
            assert stage_req == 2  # the network firmware's stage, as Picamera2's bar asks
            log["readings"] += 1
            if not readings:
                return (0, 0)  # another stage (or none) is uploading: Picamera2 says (0, 0)
            reading = readings.pop(0)
            if not readings:
                uploaded.set()  # the last reading: the camera's start returns
            return reading

        def set_inference_roi_abs(self, roi):
            log["rois"].append(roi)
            self.roi = tuple(roi)

        @staticmethod
        def get_kpi_info(metadata):
            kpi = metadata.get("CnnKpiInfo")
            return None if kpi is None else (kpi[0] / 1000, kpi[1] / 1000)

        def get_outputs(self, metadata, add_batch=False):
            tensor = metadata.get("CnnOutputTensor")
            if not tensor:
                return None
            seq = tensor[1]
            found = boxes(seq)
            outs = [
                np.array(found, np.float32),
                np.array([0.8, 0.2, 0.7][: len(found)], np.float32),
                np.array([0, 43, 0][: len(found)], np.float32),
                np.array([len(found)], np.float32),
            ]
            return [o[np.newaxis] for o in outs] if add_batch else outs

        def convert_inference_coords(self, coords, metadata, picam2):
            log["converted"].append(metadata["Seq"])
            main = picam2.camera_configuration()["main"]["size"]
            return picamera2_convert(coords, main, self.roi, metadata["ScalerCrop"])

    package = types.ModuleType("picamera2")
    package.Picamera2 = Picamera2
    devices = types.ModuleType("picamera2.devices")
    devices.IMX500 = IMX500
    package.devices = devices
    monkeypatch.setitem(sys.modules, "picamera2", package)
    monkeypatch.setitem(sys.modules, "picamera2.devices", devices)
    return log


@pytest.fixture
def rpk(tmp_path):
    path = tmp_path / "imx500_network_ssd_mobilenetv2_fpnlite_320x320_pp.rpk"
    path.write_bytes(b"rpk stand-in: the fake IMX500 class does not read it")
    return path


def run_args(rpk, tmp_path, *extra):
    return ["run", "--headless", "--source", "picam", "--device", "imx500", "--model", str(rpk)] + [
        "--max-frames",
        "6",
        "--log",
        str(tmp_path / "log.jsonl"),
        *extra,
    ]


def test_camapp_run_puts_the_sensors_boxes_in_frame_pixels(monkeypatch, rpk, tmp_path, capsys):
    log = fake_vendor(monkeypatch)
    rc = main(run_args(rpk, tmp_path))
    out = capsys.readouterr().out
    assert rc == 0, out
    assert "model: imx500" in out and "input 320" in out
    rows = [json.loads(line) for line in (tmp_path / "log.jsonl").read_text().splitlines()]
    assert rows and log["network"] == str(rpk)
    (config,) = log["configs"]  # opened once, after the network went to the sensor
    assert config["controls"] == {"FrameRate": 30.0} and config["buffer_count"] == 12  # the network's rate
    for row in rows:
        seq = row["frame"]
        if seq == 0:
            assert row["detections"] == []  # no network output yet
            continue
        # 768x432 frames: Picamera2's (x, y, w, h), as xyxy
        x, y, w, h = picamera2_convert([v / INPUT for v in person_box(seq)], (768, 432), (0, 0, *FULL))
        assert row["detections"] == [
            {
                "label": "person",
                "class_id": 0,
                "score": 0.8,
                "box": [float(x), float(y), float(x + w), float(y + h)],
            }
        ], seq
    assert [r["frame"] for r in rows if r["frame"]] == sorted(
        set(log["converted"]) & {r["frame"] for r in rows}
    )


def test_first_frame_known_box(monkeypatch, rpk):
    """One frame by hand: frame 1's box (32+4=36..164 px across, 80..240 down of 320) on a 768x432 image."""
    fake_vendor(monkeypatch)
    from camapp.sources.picamera import PicameraSource

    det = open_detector(str(rpk), device="imx500", threshold=0.5)
    src = PicameraSource("picam")
    src.open()
    try:
        frames = [src.read() for _ in range(2)]
        assert len(det.detect(frames[0].image)) == 0
        got = det.detect(frames[1].image)
        assert got.boxes.tolist() == [[86.0, 108.0, 393.0, 324.0]] and got.labels == ["person"]
        assert det.last_invoke_ms == pytest.approx(4.2)  # the sensor's own DNN time
        det.threshold = 0.2  # a score exactly at the threshold is kept
        assert got.labels == ["person"] and det.detect(frames[1].image).labels == ["person", "bottle"]
        with pytest.raises(DeviceError, match="host-side crops do not apply"):
            det.detect(frames[1].image[10:, 10:].copy())
    finally:
        src.close()
        det.close()
    assert hw.linked_cameras() == []


def test_not_an_imx500_is_one_line(monkeypatch, rpk, tmp_path, capsys):
    """A Camera Module 3 (imx708) is attached: Picamera2's IMX500 finds no IMX500 dev-node."""
    fake_vendor(monkeypatch, camera=IMX708_INFO)
    rc = main(run_args(rpk, tmp_path))
    err = capsys.readouterr().err.strip().splitlines()
    assert rc == 2 and len(err) == 1
    assert "no Raspberry Pi AI Camera (IMX500) is attached" in err[0]
    assert err[0].endswith("the camera attached is imx708, not an imx500")


def test_missing_library_is_one_line(monkeypatch, rpk, tmp_path, capsys):
    """As on this machine: no picamera2 at all."""
    monkeypatch.setitem(sys.modules, "picamera2", None)
    rc = main(run_args(rpk, tmp_path))
    err = capsys.readouterr().err.strip().splitlines()
    assert (
        rc == 2 and len(err) == 1 and "IMX500 support is not importable" in err[0] and "imx500-all" in err[0]
    )


def test_another_source_is_one_line(monkeypatch, rpk, tmp_path, capsys):
    log = fake_vendor(monkeypatch)
    args = run_args(rpk, tmp_path)
    args[args.index("picam")] = str(need(PERSON_CLIP))
    rc = main(args)
    err = capsys.readouterr().err.strip().splitlines()
    assert rc == 2 and len(err) == 1
    assert "--device imx500 works only with --source picam or picam:N, not " in err[0]
    assert "network" not in log and hw.linked_cameras() == []  # refused before anything was sent


def test_a_detection_region_is_one_line(monkeypatch, rpk, tmp_path, capsys):
    """--roi crops frames on the host; the AI Camera's network never sees that crop."""
    fake_vendor(monkeypatch)
    rc = main(run_args(rpk, tmp_path, "--roi", "0.1,0.1,0.6,0.6"))
    err = capsys.readouterr().err.strip().splitlines()
    assert rc == 2 and len(err) == 1
    assert "a detection region (--roi) does not apply to --device imx500" in err[0]


def test_a_detector_without_its_camera_says_which_source(monkeypatch, rpk):
    """Outside the session (which refuses this first): frames from elsewhere get the same advice."""
    fake_vendor(monkeypatch)
    det = open_detector(str(rpk), device="imx500")
    try:
        with pytest.raises(DeviceError, match="use --source picam:0"):
            det.detect(np.zeros((432, 768, 3), np.uint8))
    finally:
        det.close()


@pytest.mark.parametrize(
    "model,device,reason",
    [
        ("{tmp}/net.tflite", "imx500", "runs a network packaged for the sensor (.rpk)"),
        ("{tmp}/missing.rpk", "imx500", "model file not found"),
        ("{rpk}", "imx500:zoom=9", "the zoom goes from 1 (whole sensor) to 8"),
        ("{rpk}", "imx500:fast", "use imx500 or imx500:zoom=Z"),
    ],
)
def test_bad_model_or_device_is_one_line(monkeypatch, rpk, tmp_path, capsys, model, device, reason):
    fake_vendor(monkeypatch)
    args = run_args(model.format(tmp=tmp_path, rpk=rpk), tmp_path)
    args[args.index("imx500")] = device
    rc = main(args)
    err = capsys.readouterr().err.strip().splitlines()
    assert rc == 2 and len(err) == 1 and reason in err[0]


def test_zoom_sets_the_inference_region(monkeypatch, rpk):
    log = fake_vendor(monkeypatch)
    det = open_detector(str(rpk), device="imx500:zoom=2")
    assert log["rois"] == [(1014, 760, 2028, 1520)] == [central_region(2)]
    assert parse_device("imx500") == 1.0 and central_region(1) == (0, 0, 4056, 3040)
    # the slider's stops: the network's 320 times each zoom; zoom 2 is the stop named 640
    assert det.input_sizes == (320, 480, 640, 960, 1280) and det.input_size == 640 and det.native_size == 320
    assert "the network runs on the sensor at 320x320" in det.fixed_input_reason
    det.set_input_size(480)
    assert log["rois"][-1] == central_region(1.5) == (676, 506, 2704, 2027)
    det.set_input_size(320)
    assert log["rois"][-1] == (0, 0, 4056, 3040) and det.input_size == 320
    with pytest.raises(CamappError, match="input size 300 is not available on imx500: its network takes 320"):
        det.set_input_size(300)
    det.close()
    odd = open_detector(str(rpk), device="imx500:zoom=2.5")  # a zoom between stops is a stop of its own
    assert odd.input_sizes == (320, 480, 640, 800, 960, 1280) and odd.input_size == 800
    odd.close()


def test_the_networks_own_labels_win(monkeypatch, rpk):
    net = SimpleNamespace(
        task="object detection",
        inference_rate=15.0,
        bbox_normalization=False,
        bbox_order="xy",
        labels=["person", "-", "car"],
        ignore_dash_labels=True,
        postprocess=None,
    )
    fake_vendor(monkeypatch, intrinsics=net)
    det = open_detector(str(rpk), device="imx500")
    det.close()
    assert det.names == ("person", "car") and det.bbox_order == "xy" and not det.bbox_normalization


def sensor_tree(root):
    """The kernel's view of an AI Camera: a v4l-subdev whose driver module is imx500."""
    module = root / "module" / "imx500"
    module.mkdir(parents=True)
    driver = root / "class" / "video4linux" / "v4l-subdev2" / "device" / "driver"
    driver.mkdir(parents=True)
    (driver / "module").symlink_to(module)
    return root


def test_devices_and_the_app_list_the_ai_camera(monkeypatch, tmp_path, capsys):
    fake_vendor(monkeypatch)
    sysfs = sensor_tree(tmp_path)
    assert main(["devices", "--no-open", "--sysfs", str(sysfs)]) == 0
    out = capsys.readouterr().out
    assert "Raspberry Pi AI Camera (Sony IMX500): v4l-subdev2" in out
    assert "use it: --source picam --device imx500" in out
    assert ("imx500", "AI Camera (IMX500)") in [(f.device, f.label) for f in usable_devices(sysfs)]
    monkeypatch.setitem(sys.modules, "picamera2", None)  # uninstalled again: neither imports
    monkeypatch.setitem(sys.modules, "picamera2.devices", None)
    assert main(["devices", "--no-open", "--sysfs", str(sysfs)]) == 0
    assert "v4l-subdev2\n    fix: Picamera2's IMX500 support is not importable" in capsys.readouterr().out
    assert "imx500" not in [f.device for f in usable_devices(sysfs)]


def test_no_sensor_no_entry(tmp_path):
    assert "imx500" not in [f.device for f in usable_devices(tmp_path)]


def test_the_slider_moves_the_inference_region_and_boxes_stay_in_frame_pixels(monkeypatch, rpk):
    """`Session.set_input_size` on the AI Camera: the stop named 640 is the central half of the
    sensor (zoom 2), sent with `set_inference_roi_abs`; a known box inside that region, and one
    crossing its edge, land where Picamera2's conversion puts them in the 768x432 frame."""
    from camapp.session import ModelSpec, Session

    inside = [0.4 * INPUT, 0.4 * INPUT, 0.6 * INPUT, 0.6 * INPUT]  # yx, input pixels: the centre
    crossing = [0.0, 0.1 * INPUT, 0.5 * INPUT, 0.5 * INPUT]  # starts left of and above the region
    bottle = [0.0, 0.0, 32.0, 32.0]  # scores 0.2: under the threshold
    log = fake_vendor(monkeypatch, boxes=lambda seq: [inside, bottle, crossing], no_output_first=False)
    session = Session()
    got = []
    session.subscribe(lambda name, e: name == "result" and got.append((e["result"].frame.index, e["result"])))
    try:
        session.open("picam", ModelSpec(model=str(rpk), device="imx500")).result(timeout=30)
        assert session.info.sizes == (320, 480, 640, 960, 1280) and session.info.zooms == (1, 1.5, 2, 3, 4)
        assert session.set_input_size("auto").exception(timeout=5) is not None  # no speed to trade here
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and len(got) < 2:  # the whole sensor first
            time.sleep(0.02)
        session.set_input_size(640).result(timeout=5)
        while time.monotonic() < deadline and not any(r.stats.input_size == 640 for _, r in got[-1:]):
            time.sleep(0.02)
        n = len(got)
        while time.monotonic() < deadline and len(got) < n + 3:
            time.sleep(0.02)
    finally:
        session.close(timeout=10)
    assert log["rois"][-1] == (1014, 760, 2028, 1520)
    zoomed = [r for _, r in got if r.stats.input_size == 640][-1].detections
    # by hand: the centre box is x 1622..2433, y 1216..1824 of the sensor; /2 to the raw stream
    # (811, 608, 405, 304); x 768/2028 and y 432/1520 to the frame, truncated: (307, 172, 153, 86)
    assert zoomed.boxes.tolist()[0] == [307.0, 172.0, 460.0, 258.0]
    # the crossing box is cut at the region's top-left corner (1014, 760) of the sensor, which is
    # (507, 380) of the raw stream and (192, 108) of the frame: the frame's central half
    assert zoomed.boxes.tolist()[1][:2] == [192.0, 108.0]
    whole = [r for _, r in got if r.stats.input_size == 320][0].detections
    assert whole.boxes.tolist()[0] == [307.0, 172.0, 460.0, 258.0]  # the same sensor box: same pixels
    assert whole.boxes.tolist()[1][:2] == [76.0, 0.0]  # not cut: 405 of 4056 -> 202 -> 76.5, truncated


def test_camapp_run_with_an_input_size_starts_on_that_region(monkeypatch, rpk, tmp_path, capsys):
    log = fake_vendor(monkeypatch)
    rc = main(run_args(rpk, tmp_path, "--input-size", "1280"))
    out = capsys.readouterr().out
    assert rc == 0, out
    assert log["rois"] == [central_region(4)] == [(1521, 1140, 1014, 760)]


def test_the_firmware_upload_is_shown_as_progress(monkeypatch, rpk, tmp_path, capsys):
    """`camapp run` prints a line per tenth of the upload; the session says it as its other
    start-up steps ("opening"), and the state again once the upload is over."""
    monkeypatch.setattr(hw, "UPLOAD_POLL_S", 0.01)
    upload = [(0, 0), (0, 3_000_000), (1_290_000, 3_000_000), (1_300_000, 3_000_000), (2_880_000, 3_000_000)]
    fake_vendor(monkeypatch, upload=upload)
    rc = main(run_args(rpk, tmp_path))
    out = capsys.readouterr().out
    assert rc == 0, out
    lines = [line for line in out.splitlines() if line.startswith("Uploading")]
    # 43% and 43.3% are one line; 96% is past Picamera2's end of the upload (95%): 100%
    assert lines == [
        "Uploading network firmware to the AI Camera: 0%",
        "Uploading network firmware to the AI Camera: 43%",
        "Uploading network firmware to the AI Camera: 100%",
    ]

    from camapp.session import ModelSpec, Session

    readings = [(0, 1000)] * 20 + [(500, 1000), (999, 1000)]  # still uploading once frames flow
    log = fake_vendor(monkeypatch, upload=readings, upload_in_start=False, no_output_first=False)
    session = Session()
    events = []
    session.subscribe(
        lambda name, e: name in ("opening", "state") and events.append((name, e.get("state"), e["text"]))
    )
    try:
        session.open("picam", ModelSpec(model=str(rpk), device="imx500")).result(timeout=30)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and not any(e[2].endswith(": 100%") for e in events):
            time.sleep(0.02)
        time.sleep(0.1)
    finally:
        session.close(timeout=10)
    said = [text for name, _, text in events if name == "opening" and text.startswith("Uploading")]
    assert said == [f"Uploading network firmware to the AI Camera: {p}%" for p in (0, 50, 100)]
    done = next(i for i, e in enumerate(events) if e[2].endswith(": 100%"))
    assert ("state", "running") in [e[:2] for e in events[done + 1 :]]  # the app shows "Running" again
    assert log["readings"] <= len(readings)  # no reading after the end of the upload


def test_no_readable_progress_says_it_may_take_minutes(monkeypatch, rpk, capsys):
    fake_vendor(monkeypatch)
    sys.modules["picamera2.devices"].IMX500.fw_progress = 0  # FwProgressType.NONE: debugfs not readable
    monkeypatch.setattr(sys.modules["picamera2.devices"].IMX500, "__init__", _no_progress_init(monkeypatch))
    det = open_detector(str(rpk), device="imx500")
    det.close()
    assert "the first start can take minutes" in capsys.readouterr().err


def _no_progress_init(monkeypatch):
    original = sys.modules["picamera2.devices"].IMX500.__init__

    def init(self, *args, **kwargs):
        original(self, *args, **kwargs)
        self.fw_progress = 0

    return init
