"""Home Assistant MQTT discovery: one device per camera and its entities, as retained configs.

Each entity's config goes to `homeassistant/<component>/<node>/<object>/config` (retained, so
Home Assistant finds it after its own restart); an empty retained payload removes it. Keys are
Home Assistant's MQTT discovery ones (the integrations' pages under home-assistant.io/integrations:
binary_sensor.mqtt, sensor.mqtt, image.mqtt, switch.mqtt, number.mqtt, select.mqtt, button.mqtt).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from typing import Any

import camapp

DISCOVERY_PREFIX = "homeassistant"


def node_id(name: str) -> str:
    """Home Assistant's node and object ids allow [a-zA-Z0-9_-] only."""
    return re.sub(r"[^a-zA-Z0-9_-]", "_", name) or "camera"


def configs(
    name: str,
    base: str,
    labels: Sequence[str],
    zones: Sequence[str],
    sizes: Sequence[int],
    prefix: str = DISCOVERY_PREFIX,
) -> dict[str, dict[str, Any]]:
    """discovery topic -> config, for camera `name` whose topics are under `base` (camapp/NAME)."""
    node = node_id(name)
    device = {
        "identifiers": [f"camapp_{node}"],
        "name": name,
        "manufacturer": "camapp",
        "model": "camapp camera",
        "sw_version": camapp.__version__,
    }
    common = {
        "device": device,
        "availability_topic": f"{base}/availability",
        "payload_available": "online",
        "payload_not_available": "offline",
    }
    out: dict[str, dict[str, Any]] = {}

    def add(component: str, obj: str, entity_name: str, **cfg: Any) -> None:
        obj = node_id(obj)
        out[f"{prefix}/{component}/{node}/{obj}/config"] = {
            "name": entity_name,
            "unique_id": f"camapp_{node}_{obj}",
            **common,
            **cfg,
        }

    occupied = "{{ 'ON' if (value | int(0)) > 0 else 'OFF' }}"
    for where, what in [("", label) for label in labels] + [(z, label) for z in zones for label in labels]:
        topic = f"{base}/{where}/{what}" if where else f"{base}/{what}"
        title = f"{where} {what}" if where else what
        key = f"{where}_{what}" if where else what
        add(
            "binary_sensor",
            f"{key}_occupancy",
            f"{title} occupancy",
            state_topic=topic,
            value_template=occupied,
            device_class="occupancy",
        )
        add("sensor", f"{key}_count", f"{title} count", state_topic=topic, state_class="measurement")
    add(
        "sensor",
        "fps",
        "Inference fps",
        state_topic=f"{base}/status",
        value_template="{{ value_json.fps }}",
        unit_of_measurement="fps",
        state_class="measurement",
    )
    add("image", "snapshot", "Snapshot", image_topic=f"{base}/snapshot/latest", content_type="image/jpeg")
    for control, title in (("record", "Record"), ("detect", "Detect")):
        add(
            "switch",
            control,
            title,
            command_topic=f"{base}/set/{control}",
            state_topic=f"{base}/state/{control}",
            payload_on="ON",
            payload_off="OFF",
        )
    add(
        "number",
        "threshold",
        "Threshold",
        command_topic=f"{base}/set/threshold",
        state_topic=f"{base}/state/threshold",
        min=0.05,
        max=0.95,
        step=0.05,
        mode="slider",
    )
    if sizes:
        add(
            "select",
            "input_size",
            "Input size",
            command_topic=f"{base}/set/input_size",
            state_topic=f"{base}/state/input_size",
            options=[str(s) for s in sizes] + (["auto"] if len(sizes) > 1 else []),
        )
    add(
        "button", "snapshot_now", "Take snapshot", command_topic=f"{base}/set/snapshot", payload_press="PRESS"
    )
    return out


def payloads(cfgs: dict[str, dict[str, Any]]) -> Iterable[tuple[str, str]]:
    for topic, cfg in cfgs.items():
        yield topic, json.dumps(cfg, separators=(",", ":"))
