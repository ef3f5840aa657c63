from __future__ import annotations

from pathlib import Path

import pytest

pytest.importorskip("paho.mqtt", reason="the mqtt extra: pip install 'camapp[mqtt]'")

from mqtt.broker import Mosquitto  # noqa: E402


@pytest.fixture
def mosquitto(tmp_path: Path):
    """A real broker on free loopback ports, password and TLS listeners; stopped at the end."""
    broker = Mosquitto(tmp_path / "broker")
    broker.start()
    yield broker
    broker.stop()
