"""The app's Device list comes from the device registry: a device registered in one line (the
FAKE one of tests/detect/fake_backend.py) and the Pi's accelerators found on a fake sysfs tree
(with Picamera2's Hailo and IMX500 classes FAKED, as this machine has neither) are offered
without any change to the app, and choosing one runs it."""

from __future__ import annotations

import shutil

import pytest
from conftest import BOTTLE_CLIP, SHARED_MODEL, need
from detect.test_hailo import fake_hailo_modules
from detect.test_imx500 import fake_vendor, sensor_tree
from gui.windows import WAIT, open_window

from camapp.detect import DEVICES
from camapp.hw import usb


@pytest.fixture
def pi_with_everything(monkeypatch, tmp_path):
    """A fake sysfs with a Hailo chip and an IMX500 sensor, the fake device registered."""
    sysfs = sensor_tree(tmp_path / "sys")
    (sysfs / "class" / "hailo_chardev" / "hailo0").mkdir(parents=True)
    monkeypatch.setattr(usb, "SYSFS", sysfs)
    fake_hailo_modules(monkeypatch)  # picamera2.devices.hailo.Hailo
    fake_vendor(monkeypatch)  # picamera2.Picamera2 and picamera2.devices.IMX500 (the hailo module stays)
    monkeypatch.setitem(DEVICES, "fake", "tests.detect.fake_backend")  # the one registry line


def test_the_device_list_offers_what_the_registry_found_and_runs_it(
    qtbot, model_store, tmp_path, pi_with_everything
):
    w = open_window(qtbot, str(need(BOTTLE_CLIP)), tmp_path)
    box = w.side.device
    listed = lambda: {box.itemData(i): box.itemText(i) for i in range(box.count())}  # noqa: E731
    qtbot.waitUntil(lambda: "fake" in listed(), timeout=WAIT)
    assert listed() == {
        "cpu": "CPU",
        "hailo": "Hailo AI HAT+",
        "imx500": "AI Camera (IMX500)",  # its inference region is the resolution slider's
        "fake": "Fake device",
    }
    qtbot.waitUntil(lambda: w.view.frames_shown >= 2, timeout=WAIT)
    box.setCurrentIndex(box.findData("fake"))
    box.activated.emit(box.currentIndex())  # as a click on the entry does
    qtbot.waitUntil(lambda: getattr(w.session.detector, "device", None) == "fake", timeout=WAIT)
    shown = w.view.frames_shown
    qtbot.waitUntil(lambda: w.view.frames_shown >= shown + 3, timeout=WAIT)
    assert not w.side.threads.isEnabled()  # threads are the CPU's
    assert not w.side.rungs.slider.isEnabled() and "fake network takes 320" in w.side.rungs.note.text()
    w.grab().save(str(tmp_path / "device-list.png"))
    w.close()


def test_on_a_fixed_input_device_the_slider_is_the_inference_region(qtbot, tmp_path, pi_with_everything):
    """The AI HAT+ (FAKED Hailo class): the resolution box becomes the inference region, its stops
    are zooms with no Auto, moving it moves the region the detector crops; a device's slow step
    (here the AI Camera's upload, said through the session as it would be) shows in the status bar."""
    hef = tmp_path / "ssd_mobilenet_v1.hef"
    hef.write_bytes(b"HEF stand-in: the fake Hailo class does not read it")
    shutil.copy(need(SHARED_MODEL / "labelmap.txt"), tmp_path / "labelmap.txt")
    w = open_window(qtbot, str(need(BOTTLE_CLIP)), tmp_path, model=str(hef), device="hailo")
    rungs = w.side.rungs
    qtbot.waitUntil(lambda: rungs.regions and w.view.frames_shown >= 2, timeout=WAIT)
    assert w.side.resolution.title() == "Inference region (digital zoom)"
    assert rungs.sizes == (300, 450, 600, 900, 1200) and rungs.value_label.text() == "Region: whole frame"
    assert rungs.slider.isEnabled() and not rungs.auto.isEnabled() and "digital zoom" in rungs.slider.toolTip()
    rungs.slider.setValue(2)
    assert rungs.value_label.text() == "Region: central 1/2 (2× zoom)"
    qtbot.waitUntil(lambda: w.session.detector.regions.zoom == 2.0, timeout=WAIT)
    w.session.core._device_progress("Uploading network firmware to the AI Camera", 43, 100)
    qtbot.waitUntil(lambda: w.state_label.text() == "Uploading network firmware to the AI Camera: 43%", timeout=WAIT)
    w.grab().save(str(tmp_path / "region-slider.png"))
    w.close()
