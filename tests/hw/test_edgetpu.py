"""Loading the Edge TPU delegate: each failure becomes one line with its fix.

The missing-runtime case is real (this machine has no libedgetpu); the others fake only
`load_delegate`, raising exactly what LiteRT raises, plus a fake sysfs USB tree.
"""

import pytest

from camapp.errors import DeviceError
from camapp.hw import edgetpu
from tests.hw.sysfs import PI4_ROOT_HUBS, coral, usb_tree

# What LiteRT's load_delegate raises when libedgetpu loads but its plug-in finds no Edge TPU
# (the plug-in reports an empty message; see ai_edge_litert/interpreter.py load_delegate).
NO_DEVICE = ValueError("Failed to load delegate from libedgetpu.so.1\n")


def raising(exc):
    def load_delegate(library, options=None):
        raise exc

    return load_delegate


@pytest.mark.parametrize(
    "device,option",
    [
        ("edgetpu", None),
        ("edgetpu:usb", "usb"),
        ("edgetpu:usb:1", "usb:1"),
        ("edgetpu:0", ":0"),
        ("edgetpu:pci:0", "pci:0"),
    ],
)
def test_device_option_follows_libedgetpu_syntax(device, option):
    assert edgetpu.parse_device(device) == option


@pytest.mark.parametrize("device", ["edgetpu:gpu", "edgetpu:usb:x", "edgetpu:usb:0:1"])
def test_bad_device_is_a_user_error(device):
    with pytest.raises(DeviceError, match="bad device"):
        edgetpu.parse_device(device)


def test_library_names_per_os():
    assert edgetpu.library_name("linux") == "libedgetpu.so.1"
    assert edgetpu.library_name("darwin") == "libedgetpu.1.dylib"
    assert edgetpu.library_name("win32") == "edgetpu.dll"


def test_missing_runtime_is_real_here(tmp_path, monkeypatch):
    """Real LiteRT `load_delegate` on this machine, which has no Edge TPU runtime installed."""
    import gc
    import sys

    unraisable = []
    monkeypatch.setattr(sys, "unraisablehook", unraisable.append)
    assert not edgetpu.probe_runtime().found
    with pytest.raises(DeviceError) as err:
        edgetpu.load_edgetpu_delegate("usb:0", sysfs=tmp_path)
    msg = str(err.value)
    assert "Edge TPU runtime not found" in msg and "libedgetpu" in msg and "\n" not in msg
    # LiteRT's half-built Delegate must not print "Exception ignored in ... __del__" on stderr
    gc.collect()
    assert unraisable == []


def test_runtime_present_but_no_coral_plugged(tmp_path):
    """Stands for libedgetpu installed and no Coral on the bus."""
    sysfs = usb_tree(tmp_path, PI4_ROOT_HUBS)
    with pytest.raises(DeviceError, match="no Coral is on the USB bus.*plug it in"):
        edgetpu.load_edgetpu_delegate(load_delegate=raising(NO_DEVICE), sysfs=sysfs)


def test_coral_visible_but_cannot_be_opened(tmp_path):
    """Stands for a Coral held by another process or lacking udev permission."""
    sysfs = usb_tree(tmp_path, [*PI4_ROOT_HUBS, coral("2-1")])
    with pytest.raises(DeviceError, match=r"1a6e:089a at 2-1.*another process.*udev"):
        edgetpu.load_edgetpu_delegate(load_delegate=raising(NO_DEVICE), sysfs=sysfs)


def test_asking_for_a_second_coral_that_is_not_there(tmp_path):
    sysfs = usb_tree(tmp_path, [*PI4_ROOT_HUBS, coral("2-1", "18d1:9302")])
    with pytest.raises(DeviceError, match=r"usb:1 not found: 1 Coral\(s\)"):
        edgetpu.load_edgetpu_delegate("usb:1", load_delegate=raising(NO_DEVICE), sysfs=sysfs)


def test_options_reach_the_delegate(tmp_path):
    """Stands for a working runtime: the loader gets the library and libedgetpu's device option."""
    calls = []

    def load_delegate(library, options=None):
        calls.append((library, options))
        return "delegate"

    assert (
        edgetpu.load_edgetpu_delegate("usb:0", load_delegate=load_delegate, library="libedgetpu.so.1")
        == "delegate"
    )
    assert calls == [("libedgetpu.so.1", {"device": "usb:0"})]
