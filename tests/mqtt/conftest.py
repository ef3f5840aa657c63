from __future__ import annotations

import pytest

pytest.importorskip("paho.mqtt", reason="the mqtt extra: pip install 'camapp[mqtt]'")

from mqtt.broker import mosquitto_fixture  # noqa: E402, F401  (the `mosquitto` fixture)
