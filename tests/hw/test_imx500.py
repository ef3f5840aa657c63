"""The AI Camera's link (a frame's metadata found by its image) and finding IMX500 sensors in
sysfs. The `IMX500` object is a FAKE with only the attributes the link reads (this machine has
no AI Camera); the sysfs tree is built like the kernel's."""

from types import SimpleNamespace

import numpy as np

from camapp.hw import imx500 as hw


def fake_imx500(camera_num=0, rate=30.0):
    """FAKE of picamera2.devices.IMX500: the attributes SensorLink reads, and the progress bar call."""
    calls = []
    intrinsics = SimpleNamespace(inference_rate=rate)
    return SimpleNamespace(
        camera_num=camera_num,
        network_intrinsics=intrinsics,
        show_network_fw_progress_bar=lambda: calls.append("bar"),
        calls=calls,
    )


def test_metadata_is_found_by_the_image_object_not_its_pixels():
    link = hw.SensorLink(fake_imx500())
    a, b = np.zeros((4, 4, 3), np.uint8), np.zeros((4, 4, 3), np.uint8)
    link.publish(a, {"Seq": 1})
    link.publish(b, {"Seq": 2})
    assert link.metadata_for(a) == {"Seq": 1} and link.metadata_for(b) == {"Seq": 2}
    assert link.metadata_for(a.copy()) is None  # equal pixels, another frame
    assert link.metadata_for(a[1:, 1:]) is None  # a crop is not the frame


def test_only_the_recent_frames_are_kept():
    link = hw.SensorLink(fake_imx500())
    images = [np.zeros((2, 2, 3), np.uint8) for _ in range(hw.RECENT + 1)]
    for i, image in enumerate(images):
        link.publish(image, {"Seq": i})
    assert link.metadata_for(images[0]) is None  # dropped: memory stays bounded
    assert link.metadata_for(images[-1]) == {"Seq": hw.RECENT}
    link.detach()
    assert link.metadata_for(images[-1]) is None and link.camera is None


def test_attach_leaves_picamera2s_terminal_bar_alone_and_the_rate_comes_from_the_network():
    """camapp follows the upload itself (as progress events: tests/detect/test_imx500.py), so
    Picamera2's own bar, drawn on the terminal, stays off."""
    imx = fake_imx500(rate=15.0)
    link = hw.SensorLink(imx)
    link.attach("camera")
    assert link.camera == "camera" and imx.calls == [] and link.inference_rate == 15.0
    assert hw.SensorLink(fake_imx500(rate=None)).inference_rate is None


def test_links_are_registered_per_camera(monkeypatch):
    monkeypatch.setattr(hw, "import_imx500", lambda: lambda path: fake_imx500(camera_num=1))
    link = hw.open_link(hw.DEFAULT_NETWORK)
    try:
        assert hw.link_for(1) is link and hw.link_for(0) is None and hw.linked_cameras() == [1]
    finally:
        hw.close_link(link)
    assert hw.link_for(1) is None


def test_find_sensors_reads_the_driver_module_link(tmp_path):
    """v4l-subdev2 is driven by imx500; v4l-subdev0 by another sensor driver (imx708)."""
    for name, module in (("v4l-subdev0", "imx708"), ("v4l-subdev2", "imx500")):
        (tmp_path / "module" / module).mkdir(parents=True, exist_ok=True)
        driver = tmp_path / "class" / "video4linux" / name / "device" / "driver"
        driver.mkdir(parents=True)
        (driver / "module").symlink_to(tmp_path / "module" / module)
    (tmp_path / "class" / "video4linux" / "video0").mkdir()  # a video node, not a subdev
    assert hw.find_sensors(tmp_path) == ["v4l-subdev2"]
    assert hw.find_sensors(tmp_path / "nothing") == []
