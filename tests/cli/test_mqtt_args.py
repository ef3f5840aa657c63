"""`camapp run --mqtt`: option mistakes exit 2 in one line; a broker that refuses or is absent
costs one line and the run goes on; the password is never printed."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from conftest import PERSON_CLIP, need

pytest.importorskip("paho.mqtt", reason="the mqtt extra: pip install 'camapp[mqtt]'")

from mqtt.broker import free_port, mosquitto_fixture  # noqa: E402, F401  (the `mosquitto` fixture)


def camapp(
    *args: str, env: dict[str, str] | None = None, timeout: float = 300
) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "camapp", "run", "--headless", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, **(env or {})},
    )


@pytest.mark.parametrize(
    "args, says",
    [
        (["--mqtt", "http://broker"], "expected mqtt://"),
        (["--mqtt", "mqtt://u:secretpw@broker"], "no password in the URL"),
        (["--mqtt", "mqtt://broker:70000"], "out of range"),
        (["--mqtt", "mqtt://broker", "--mqtt-ca", "ca.pem"], "go with an mqtts"),
        (["--mqtt", "mqtt://broker", "--name", "a/b"], "no '/'"),
        (["--mqtt-prefix", "x"], "goes with --mqtt URL"),
    ],
)
def test_option_mistakes_exit_2_in_one_line(args, says):
    r = camapp("--source", "sample:person", *args, timeout=60)
    assert r.returncode == 2, r.stderr
    assert says in r.stderr and len(r.stderr.strip().splitlines()) == 1, r.stderr
    assert "Traceback" not in r.stderr and "secretpw" not in r.stderr + r.stdout


@pytest.mark.parametrize("case", ["wrong password", "no broker"])
def test_a_refusing_or_absent_broker_is_one_line_and_the_run_goes_on(mosquitto, model_store, case):
    port = mosquitto.port if case == "wrong password" else free_port()
    r = camapp(
        "--source",
        str(need(PERSON_CLIP)),
        "--no-realtime",
        "--max-frames",
        "40",
        "--mqtt",
        f"mqtt://camera@127.0.0.1:{port}",
        "--name",
        "cli",
        env={"CAMAPP_MQTT_PASSWORD": "not-the-password"},
    )
    assert r.returncode == 0, r.stderr
    mqtt_lines = [line for line in r.stderr.splitlines() if line.startswith("mqtt:")]
    assert len(mqtt_lines) == 1, r.stderr
    assert ("refused" if case == "wrong password" else "cannot connect") in mqtt_lines[0]
    assert "retrying with backoff" in mqtt_lines[0]
    assert "Traceback" not in r.stderr and "not-the-password" not in r.stderr + r.stdout
    assert "summary: 40 frames" in r.stdout
    assert "not sent" in r.stdout.splitlines()[-1]  # what never reached the broker is said


def test_a_run_without_mqtt_never_imports_paho():
    code = (
        "import sys, argparse; from camapp.cli import run, mqtt_args;"
        "p = argparse.ArgumentParser(); mqtt_args.add_mqtt_options(p);"
        "assert mqtt_args.check_mqtt(p.parse_args([])) is None;"
        "assert 'paho' not in sys.modules and 'camapp.mqtt' not in sys.modules"
    )
    assert subprocess.run([sys.executable, "-c", code], timeout=60).returncode == 0
