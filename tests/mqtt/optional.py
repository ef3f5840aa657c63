"""The real Mosquitto (`mqtt.broker`) for tests outside tests/mqtt that also test other things:
the fixture skips, instead of the whole module, when the mqtt extra is not installed."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(name="broker")
def broker_fixture(tmp_path: Path):
    """A started `mqtt.broker.Mosquitto` (password file, TLS listeners); stopped at the end."""
    pytest.importorskip("paho.mqtt", reason="the mqtt extra: pip install 'camapp[mqtt]'")
    from mqtt.broker import Mosquitto

    b = Mosquitto(tmp_path / "broker")
    b.start()
    yield b
    b.stop()
