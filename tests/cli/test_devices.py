"""`camapp devices` on this machine (no camera, no Coral, no runtime) and on fake sysfs trees."""

from camapp.cli import devices, main
from camapp.hw import edgetpu
from camapp.hw.edgetpu import RuntimeProbe
from tests.hw.sysfs import PI4_ROOT_HUBS, coral, usb_tree, video_tree
from tests.hw.test_video import FakeCapture


def test_this_machine_says_nothing_found_and_exits_0(tmp_path, capsys):
    """Real: an empty sysfs, the real (absent) libedgetpu and the real (absent) picamera2."""
    assert main(["devices", "--sysfs", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "Cameras\n  none found: no /dev/video* camera" in out
    assert "Edge TPU runtime: not found" in out and "libedgetpu1-std" in out
    assert "Coral USB Accelerator: cannot tell" in out


def test_real_sysfs_exits_0(capsys):
    """Real: whatever this machine's /sys holds, the command answers and exits 0."""
    assert main(["devices", "--no-open"]) == 0
    assert "Accelerators" in capsys.readouterr().out


def test_webcam_and_picam_listed(tmp_path):
    """Stands for a Pi with a USB webcam (fake cv2 capture) and a camera module (fake picamera2 info)."""
    sysfs = video_tree(
        tmp_path, {"video0": "unicam-image", "video1": "USB Camera", "video2": "USB Camera meta"}
    )
    lines = devices.camera_lines(
        sysfs,
        opener=lambda d: FakeCapture(),
        picams=lambda: [{"Model": "imx708", "Id": "/base/soc/i2c0mux/i2c@1/imx708@1a", "Location": 2}],
    )
    assert (
        lines[0].startswith("  /dev/video1")
        and "640x480, 1280x720" in lines[0]
        and "--source /dev/video1" in lines[0]
    )
    assert "picam:0" in lines[1] and "imx708" in lines[1] and "--source picam:0" in lines[1]
    assert len(lines) == 2


def test_camera_module_without_picamera2(tmp_path):
    """Stands for a Pi camera module on a system where python3-picamera2 is not visible to the venv."""
    sysfs = video_tree(tmp_path, {"video0": "rp1-cfe"})
    (line,) = devices.camera_lines(sysfs, picams=lambda: None)
    assert "camera module is connected (rp1-cfe)" in line and "--system-site-packages" in line


def runtime_found(monkeypatch):
    """Stands for the Edge TPU runtime library being installed (the loader's answer, faked)."""
    monkeypatch.setattr(edgetpu, "probe_runtime", lambda: RuntimeProbe("libedgetpu.so.1", True))


def test_coral_on_usb2_with_runtime(tmp_path, monkeypatch):
    """Stands for a Pi 4 with the runtime installed and a Coral in a USB 2 port."""
    sysfs = usb_tree(tmp_path, [*PI4_ROOT_HUBS, coral("1-1.2", "18d1:9302", "480")])
    runtime_found(monkeypatch)
    lines = devices.accelerator_lines(sysfs)
    text = "\n".join(lines)
    assert "libedgetpu.so.1 found" in text
    assert "edgetpu:usb:0: 18d1:9302 at 1-1.2, initialized, USB 2 (480 Mbit/s)" in text
    assert "several times slower" in text and "USB 3 port" in text
    assert "--device edgetpu" in text


def test_no_coral_on_the_bus(tmp_path, monkeypatch):
    sysfs = usb_tree(tmp_path, PI4_ROOT_HUBS)
    runtime_found(monkeypatch)
    lines = devices.accelerator_lines(sysfs)
    assert any("none on the USB bus" in ln for ln in lines)
    assert any("powered USB hub" in ln for ln in lines)
