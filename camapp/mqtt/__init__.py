"""MQTT: the session's objects, counts, snapshots and status on a broker, and its controls from there.

A front-end like the browser view: it observes a `Session` and sends it commands; nothing below
it knows it exists. Only this package names paho-mqtt (the `mqtt` extra). `Broker` is where to
connect (`parse_url`), `MqttBridge` does the rest; topics and Home Assistant discovery are
described in docs/mqtt.md.
"""

from __future__ import annotations

from camapp.mqtt.url import Broker, parse_url

__all__ = ["Broker", "parse_url"]
