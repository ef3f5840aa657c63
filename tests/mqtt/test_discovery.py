"""Home Assistant discovery configs: topics, the device, and each entity's keys."""

from __future__ import annotations

from camapp.mqtt.discovery import configs, node_id


def test_one_device_and_every_entity():
    cfgs = configs("front door", "camapp/front door", ["person", "car"], ["drive"], [160, 300])
    node = "front_door"
    comps = sorted({t.split("/")[1] for t in cfgs})
    assert comps == ["binary_sensor", "button", "image", "number", "select", "sensor", "switch"]
    assert all(
        t.startswith("homeassistant/") and t.split("/")[2] == node and t.endswith("/config") for t in cfgs
    )
    devices = {str(c["device"]["identifiers"]) for c in cfgs.values()}
    assert devices == {"['camapp_front_door']"}
    assert len({c["unique_id"] for c in cfgs.values()}) == len(cfgs)
    assert all(c["availability_topic"] == "camapp/front door/availability" for c in cfgs.values())
    occ = cfgs["homeassistant/binary_sensor/front_door/drive_person_occupancy/config"]
    assert occ["state_topic"] == "camapp/front door/drive/person" and occ["device_class"] == "occupancy"
    assert len([t for t in cfgs if "/binary_sensor/" in t]) == 4  # person, car, drive/person, drive/car
    img = cfgs["homeassistant/image/front_door/snapshot/config"]
    assert img["image_topic"] == "camapp/front door/snapshot/latest" and img["content_type"] == "image/jpeg"
    sw = cfgs["homeassistant/switch/front_door/record/config"]
    assert sw["command_topic"].endswith("/set/record") and sw["state_topic"].endswith("/state/record")
    assert cfgs["homeassistant/select/front_door/input_size/config"]["options"] == ["160", "300", "auto"]
    num = cfgs["homeassistant/number/front_door/threshold/config"]
    assert 0 < num["min"] < num["max"] < 1
    assert cfgs["homeassistant/button/front_door/snapshot_now/config"]["command_topic"].endswith(
        "/set/snapshot"
    )


def test_one_size_has_no_auto_and_no_sizes_no_select():
    assert configs("c", "camapp/c", ["person"], [], [300])["homeassistant/select/c/input_size/config"][
        "options"
    ] == ["300"]
    assert not [t for t in configs("c", "camapp/c", ["person"], [], []) if "/select/" in t]


def test_node_ids_keep_only_what_home_assistant_allows():
    assert node_id("Pi 3 (hall)") == "Pi_3__hall_"
    assert node_id("cam-1_a") == "cam-1_a"
