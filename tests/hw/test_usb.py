"""Coral discovery on a fake sysfs USB tree (this machine has no USB bus in sysfs, and no Coral)."""

from camapp.hw import usb
from tests.hw.sysfs import PI4_ROOT_HUBS, coral, usb_tree


def test_coral_in_a_usb3_port_before_first_use(tmp_path):
    """Stands for a Pi 4 with a fresh Coral in a blue port: 1a6e:089a until the runtime loads firmware."""
    sysfs = usb_tree(tmp_path, [*PI4_ROOT_HUBS, coral("2-1", "1a6e:089a", "5000")])
    (found,) = usb.find_corals(sysfs)
    assert found.device.sysname == "2-1" and found.device.ids == "1a6e:089a"
    assert "not yet initialized" in found.state
    assert not found.usb2
    assert usb.has_usb3_host(sysfs) is True


def test_coral_after_first_use_on_a_usb2_port(tmp_path):
    """Stands for a Coral that re-enumerated as 18d1:9302 and sits in a black (USB 2) port behind the hub."""
    sysfs = usb_tree(tmp_path, [*PI4_ROOT_HUBS, coral("1-1.3", "18d1:9302", "480")])
    (found,) = usb.find_corals(sysfs)
    assert found.state == "initialized"
    assert found.usb2
    assert usb.speed_text(found.device.speed_mbps) == "USB 2 (480 Mbit/s)"
    assert "USB 3 port" in usb.usb2_advice(sysfs)


def test_no_usb3_host_changes_the_advice(tmp_path):
    """Stands for a Pi 3 (USB 2 only): moving ports cannot help, so the advice says so."""
    sysfs = usb_tree(tmp_path, [PI4_ROOT_HUBS[0], coral("1-1", "18d1:9302", "480")])
    assert usb.has_usb3_host(sysfs) is False
    assert "no USB 3 port" in usb.usb2_advice(sysfs)


def test_other_devices_and_interfaces_are_not_corals(tmp_path):
    sysfs = usb_tree(tmp_path, [*PI4_ROOT_HUBS, {"sysname": "1-1.2", "ids": "046d:0825", "speed": "480"}])
    assert usb.find_corals(sysfs) == []
    names = [d.sysname for d in usb.usb_devices(sysfs)]
    assert "1-1.2" in names and not any(":" in n for n in names)


def test_no_usb_tree_at_all(tmp_path):
    """This machine's real situation (a container): no /sys/bus/usb, so nothing, and no guess."""
    assert usb.usb_devices(tmp_path) == []
    assert usb.find_corals(tmp_path) == []
    assert usb.has_usb3_host(tmp_path) is None
