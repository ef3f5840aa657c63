"""The device registry: a device is one module plus one registry line, and the `--device` help,
`camapp devices`, the app's device list and `camapp run` all pick it up.

The device registered here is FAKE (tests/detect/fake_backend.py): it runs no network and
reports one known box, so what is checked is the registry and the shared SSD layer around it.
"""

import json

import numpy as np
import pytest
from conftest import IMAGES, PERSON_CLIP, need

from camapp.cli import build_parser, main
from camapp.detect import DEVICES, device_help, device_kind, open_detector, usable_devices
from camapp.detect.base import SSDDetector
from camapp.errors import CamappError
from tests.detect import fake_backend


@pytest.fixture
def fake_device(monkeypatch):
    monkeypatch.setitem(DEVICES, "fake", "tests.detect.fake_backend")  # the one registry line


def help_text(*command: str) -> str:
    parser = build_parser()
    sub = next(a for a in parser._actions if a.dest == "command")
    return " ".join(sub.choices[command[0]].format_help().split())


def test_a_registered_device_is_in_every_device_help(fake_device):
    for command in ("run", "detect", "eval", "bench"):
        assert "fake" in help_text(command).split("--device DEVICE ")[-1][:200], command
    from camapp.cli import gui

    assert "fake" in " ".join(gui.build_parser().format_help().split()).split("--device DEVICE ")[-1][:200]


def test_the_help_lists_the_built_in_devices_without_the_fake():
    assert device_help().startswith("cpu, edgetpu")
    assert "fake" not in device_help()


def test_camapp_devices_and_the_app_list_it(fake_device, tmp_path, capsys):
    assert main(["devices", "--no-open", "--sysfs", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "Fake device: always here  -> --device fake" in out
    assert ("fake", "Fake device") in [(f.device, f.label) for f in usable_devices(tmp_path)]
    from camapp.session.devices import device_label, list_accelerators, runs_on_cpu_threads

    assert ("fake", "Fake device") in list_accelerators()
    assert device_label("fake") == "Fake device" and not runs_on_cpu_threads("fake")
    assert device_label("cpu") == "CPU" and runs_on_cpu_threads("cpu")


def test_camapp_run_puts_the_fake_box_in_source_pixels(fake_device, tmp_path, capsys):
    log = tmp_path / "log.jsonl"
    clip = need(PERSON_CLIP)  # 768x432
    rc = main(
        ["run", "--headless", "--source", str(clip), "--device", "fake", "--no-realtime"]
        + ["--max-frames", "5", "--log", str(log)]
    )
    out = capsys.readouterr().out
    assert rc == 0, out
    rows = [json.loads(line) for line in log.read_text().splitlines()]
    assert len(rows) == 5
    assert fake_backend.BOX == (0.25, 0.10, 0.75, 0.50)  # normalized (ymin, xmin, ymax, xmax)
    for row in rows:  # the 0.2 box is under the default threshold 0.5
        assert row["detections"] == [
            {"label": "person", "class_id": 0, "score": 0.9, "box": [76.8, 108.0, 384.0, 324.0]}
        ]


def test_a_fixed_input_device_offers_one_size_and_refuses_another(fake_device):
    det = open_detector(device="fake", threshold=0.9)
    assert isinstance(det, SSDDetector) and det.input_sizes == (320,)
    image = np.zeros((100, 200, 3), np.uint8)
    assert len(det.detect(image)) == 1  # a score exactly at the threshold is kept
    det.threshold = 0.9001
    assert len(det.detect(image)) == 0
    assert det.backend.tensors[-1] == (1, 320, 320, 3)
    with pytest.raises(CamappError, match="input size 300 is not available on fake"):
        det.set_input_size(300)
    det.close()
    assert det.backend.closed
    with pytest.raises(CamappError, match="not available on fake: the network takes 320"):
        open_detector(device="fake", input_size=300)


def test_an_unknown_device_is_one_line(capsys):
    rc = main(["detect", "--device", "nosuch", str(need(IMAGES / "pets.jpg"))])
    err = capsys.readouterr().err.strip().splitlines()
    assert rc == 2 and len(err) == 1 and "unknown device 'nosuch': use one of cpu, edgetpu" in err[0]
    with pytest.raises(CamappError, match="unknown device"):
        device_kind("nosuch:1")


def test_the_registry_answers_what_the_session_asked_of_cpu():
    assert device_kind("cpu").cpu_threads and not device_kind("cpu").fallback
    assert device_kind("edgetpu:usb:0").fallback and not device_kind("edgetpu").cpu_threads
    from camapp.session.loader import lanes_for

    with pytest.raises(CamappError, match="--schedule throughput runs on the CPU"):
        lanes_for("throughput", "edgetpu", None, False)
