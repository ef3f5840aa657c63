"""A real Mosquitto for the MQTT tests, and a paho subscriber that records what it hears.

`Mosquitto` runs Debian's `mosquitto -c CONF` on free loopback ports (never the system service):
a plain listener, a TLS one whose certificate a throw-away CA signed (made with openssl) and a
TLS one that also asks for a client certificate signed by that CA,
both with a password file made by `mosquitto_passwd`. It can be stopped and started again on the
same ports (the broker-away test).
"""

from __future__ import annotations

import getpass
import shutil
import socket
import subprocess
import threading
import time
from collections.abc import Callable
from pathlib import Path

import paho.mqtt.client as paho
import pytest
from paho.mqtt.enums import CallbackAPIVersion

USER, PASSWORD = "camera", "s3cret-pw"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _openssl(*args: str, cwd: Path) -> None:
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True)


def make_certs(d: Path) -> None:
    """ca.crt; server.crt/key for 127.0.0.1 and localhost and client.crt/key, signed by it."""
    _openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=camapp test CA",
             "-keyout", "ca.key", "-out", "ca.crt", cwd=d)  # fmt: skip
    _openssl("req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=localhost",
             "-keyout", "server.key", "-out", "server.csr", cwd=d)  # fmt: skip
    (d / "ext.cnf").write_text("subjectAltName=IP:127.0.0.1,DNS:localhost\n")
    _openssl("x509", "-req", "-in", "server.csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial",
             "-days", "2", "-extfile", "ext.cnf", "-out", "server.crt", cwd=d)  # fmt: skip
    _openssl("req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=camera",
             "-keyout", "client.key", "-out", "client.csr", cwd=d)  # fmt: skip
    _openssl("x509", "-req", "-in", "client.csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial",
             "-days", "2", "-out", "client.crt", cwd=d)  # fmt: skip


class Mosquitto:
    def __init__(self, directory: Path) -> None:
        for tool in ("mosquitto", "mosquitto_passwd", "openssl"):
            if shutil.which(tool) is None and not Path(f"/usr/sbin/{tool}").exists():
                pytest.skip(f"{tool} is not installed (bash scripts/system-deps installs it)")
        self.dir = directory
        directory.mkdir(parents=True, exist_ok=True)
        self.port, self.tls_port, self.mtls_port = free_port(), free_port(), free_port()
        make_certs(directory)
        passwd = directory / "passwd"
        subprocess.run(["mosquitto_passwd", "-b", "-c", str(passwd), USER, PASSWORD], check=True)
        self.conf = directory / "mosquitto.conf"
        self.conf.write_text(
            # as root, mosquitto would switch to the `mosquitto` user, who cannot read this folder
            f"""user {getpass.getuser()}
per_listener_settings false
allow_anonymous false
password_file {passwd}
persistence true
persistence_location {directory}/
log_dest file {directory / "mosquitto.log"}
listener {self.port} 127.0.0.1
listener {self.tls_port} 127.0.0.1
cafile {directory / "ca.crt"}
certfile {directory / "server.crt"}
keyfile {directory / "server.key"}
listener {self.mtls_port} 127.0.0.1
cafile {directory / "ca.crt"}
certfile {directory / "server.crt"}
keyfile {directory / "server.key"}
require_certificate true
"""
        )
        self.proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"mqtt://{USER}@127.0.0.1:{self.port}"

    def start(self) -> None:
        exe = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
        self.proc = subprocess.Popen([exe, "-c", str(self.conf)], stderr=subprocess.PIPE)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), 0.2).close()
                return
            except OSError as exc:
                if self.proc.poll() is not None:
                    raise RuntimeError(
                        f"mosquitto did not start: {self.proc.stderr.read().decode()}"
                    ) from exc
                time.sleep(0.05)
        raise RuntimeError("mosquitto did not listen within 10 s")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(10)
        self.proc = None


class Subscriber:
    """Subscribes to `topics` (default everything) and keeps (time, topic, payload, retain)."""

    def __init__(self, broker: Mosquitto, topics: tuple[str, ...] = ("#",), durable: bool = False) -> None:
        """`durable`: a persistent session (QoS 1), so what is published while this subscriber is
        reconnecting after a broker restart waits for it in the broker."""
        self.messages: list[tuple[float, str, bytes, bool]] = []
        self._cv = threading.Condition()
        c = paho.Client(
            CallbackAPIVersion.VERSION2, client_id=f"test-sub-{free_port()}", clean_session=not durable
        )
        c.username_pw_set(USER, PASSWORD)
        c.on_connect = lambda c, u, f, rc, p: [c.subscribe(t, 1) for t in topics]
        c.on_message = self._heard
        c.reconnect_delay_set(1, 2)
        c.connect(("127.0.0.1"), broker.port, 30)
        c.loop_start()
        self.client = c

    def _heard(self, _c: object, _u: object, msg: paho.MQTTMessage) -> None:
        with self._cv:
            self.messages.append((time.monotonic(), msg.topic, bytes(msg.payload), bool(msg.retain)))
            self._cv.notify_all()

    def on(self, topic: str) -> list[bytes]:
        with self._cv:
            return [p for _, t, p, _ in self.messages if t == topic]

    def wait_for(self, test: Callable[[list[tuple[float, str, bytes, bool]]], bool], timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        with self._cv:
            while not test(self.messages):
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._cv.wait(left)
            return True

    def publish(self, topic: str, payload: str) -> None:
        self.client.publish(topic, payload, 1).wait_for_publish(5)

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


@pytest.fixture(name="mosquitto")
def mosquitto_fixture(tmp_path: Path):
    """A real broker on free loopback ports, password and TLS listeners; stopped at the end."""
    broker = Mosquitto(tmp_path / "broker")
    broker.start()
    yield broker
    broker.stop()


def rates(messages: list[tuple[float, str, bytes, bool]], base: str) -> dict[str, float]:
    """Messages and bytes per second (topic + payload) under `base` at steady state: from the
    first `running` status to the `offline`, without snapshots (JPEGs) and the retained start-up."""
    mine = [(at, t, p) for at, t, p, _ in messages if t.startswith(base + "/")]
    running = [at for at, t, p in mine if t == f"{base}/status" and b'"running"' in p]
    end = [at for at, t, p in mine if t == f"{base}/availability" and p == b"offline"]
    if not running or not end or end[-1] <= running[0]:
        return {"seconds": 0.0, "msg_s": 0.0, "bytes_s": 0.0, "snap_msg_s": 0.0, "snap_bytes_s": 0.0}
    t0, t1 = running[0], end[-1]
    window = [(t, p) for at, t, p in mine if t0 < at < t1]
    plain = [(t, p) for t, p in window if "/snapshot/" not in t]
    snaps = [(t, p) for t, p in window if "/snapshot/" in t]
    span = t1 - t0
    return {
        "seconds": span,
        "msg_s": len(plain) / span,
        "bytes_s": sum(len(t) + len(p) for t, p in plain) / span,
        "snap_msg_s": len(snaps) / span,
        "snap_bytes_s": sum(len(t) + len(p) for t, p in snaps) / span,
    }
