"""Settings -> a running MQTT bridge, for every front-end: `camapp run`, the desktop app, the page.

`MqttSettings` is what a user chooses (the `--mqtt*` options, the app's dialog, the page's form);
`MqttControl` connects, reconnects elsewhere and disconnects the `MqttBridge` of a session that
is already running. Its commands run on one worker thread of its own and return a `Future` (a
bridge says `offline` and drains for up to 3 s when it stops), so the GUI thread never waits on
the network. paho-mqtt is imported only when a bridge starts: this module needs no extra.

The password is never in a status, an option line, a repr or a log line.
"""

from __future__ import annotations

import os
import re
import socket
import sys
import threading
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import quote, urlsplit, urlunsplit

from camapp.errors import CamappError
from camapp.jobs import SerialJobs
from camapp.mqtt.url import PASSWORD_ENV, Broker, parse_url

PREFIX = "camapp"


def camera_name(name: str | None) -> str:
    """`name`, else the host name; a topic level allows no '/', '+', '#' or spaces."""
    name = (name or "").strip() or socket.gethostname().split(".")[0] or "camapp"
    if not re.fullmatch(r"[^/+#\s]+", name):
        raise CamappError(f"--name {name!r}: a camera name has no '/', '+', '#' or spaces")
    return name


def check_prefix(prefix: str | None) -> str:
    prefix = (prefix or "").strip() or PREFIX
    if not re.fullmatch(r"[^+#\s]+", prefix) or prefix.strip("/") != prefix:
        raise CamappError(f"--mqtt-prefix {prefix!r}: a topic with no '+', '#', spaces or outer '/'")
    return prefix


def _say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


@dataclass(frozen=True)
class MqttSettings:
    """Where to connect and as whom. `password` None: $CAMAPP_MQTT_PASSWORD or `password_file`,
    as on the command line. `user` joins the URL (`mqtt://USER@host`) when the URL has none."""

    on: bool = False
    url: str = ""
    user: str = ""
    password: str | None = field(default=None, repr=False)
    password_file: str | None = None
    name: str = ""  # the camera's name in topics; "" = the host name
    prefix: str = PREFIX
    discovery: bool = True
    ca: str | None = None
    cert: str | None = None
    key: str | None = None
    labels: tuple[str, ...] = ("person",)  # occupancy sensors for Home Assistant
    zones: tuple[str, ...] = ()
    record_dir: str = "recordings"  # where `set/record ON` records

    def full_url(self) -> str:
        """The URL with `user` in it; a user given twice, differently, is a one-line error."""
        url, user = self.url.strip(), self.user.strip()
        if not user:
            return url
        try:
            parts = urlsplit(url)
            given = parts.username
        except ValueError:
            return url  # parse_url says what is wrong with it
        if given is not None:
            if given != user:
                raise CamappError(f"--mqtt: the URL names user {given!r} and the user field {user!r}")
            return url
        return urlunsplit(parts._replace(netloc=f"{quote(user, safe='')}@{parts.netloc}"))

    def check(self, environ: dict[str, str] | None = None) -> Broker:
        """The `Broker`, after every check the command line makes (URL, files, name, prefix)."""
        check_prefix(self.prefix)
        camera_name(self.name)
        env = {PASSWORD_ENV: self.password} if self.password else environ
        return parse_url(
            self.full_url(),
            ca=self.ca or None,
            cert=self.cert or None,
            key=self.key or None,
            password_file=None if self.password else self.password_file,
            environ=env,
        )

    def options(self) -> list[str]:
        """The `camapp run` options for these settings ([] when off); the password stays out."""
        if not self.on:
            return []
        out = ["--mqtt", self.full_url()]
        if self.name:
            out += ["--name", self.name]
        if check_prefix(self.prefix) != PREFIX:
            out += ["--mqtt-prefix", self.prefix]
        for flag, value in (("--mqtt-ca", self.ca), ("--mqtt-cert", self.cert), ("--mqtt-key", self.key)):
            if value:
                out += [flag, value]
        if self.password_file and not self.password:
            out += ["--mqtt-password-file", self.password_file]
        if not self.discovery:
            out.append("--mqtt-no-discovery")
        return out


class MqttControl:
    """The MQTT bridge of one session, started, changed and stopped live. Thread-safe."""

    def __init__(self, session: Any, say: Callable[[str], None] = _say) -> None:
        self.session = session
        self.settings = MqttSettings()
        self._say = say
        self._bridge: Any = None
        self._final: dict[str, Any] | None = None  # the last bridge's status once it stopped
        self._lock = threading.Lock()
        self._jobs = SerialJobs("camapp-mqtt-control")

    def apply(self, settings: MqttSettings) -> Future:
        """Run `settings` (the bridge running now says `offline` and goes first); the Future
        fails with the one-line reason, and then what ran goes on."""
        return self._jobs.submit(self._apply, settings)

    def close(self, timeout: float = 3.0) -> dict[str, Any] | None:
        """Disconnect (`offline`, what is queued sent for up to `timeout` s); the last bridge's
        status, or None if none ever ran. Blocks: for the end of a run or of the app."""
        self._jobs.close()
        self._replace(None, timeout)
        return self._final

    def _apply(self, settings: MqttSettings) -> MqttSettings:
        if not settings.on:
            self._replace(None, 3.0)
            self.settings = settings
            return settings
        broker = settings.check()
        try:
            from camapp.mqtt.bridge import MqttBridge
        except ImportError as exc:
            raise CamappError(
                f"MQTT needs the mqtt extra: in your camapp clone, .venv/bin/pip install -e '.[mqtt]' ({exc})"
            ) from None
        new = MqttBridge(
            self.session,
            broker,
            camera_name(settings.name),
            check_prefix(settings.prefix),
            discovery_on=settings.discovery,
            labels=settings.labels,
            zones=settings.zones,
            record_dir=settings.record_dir,
            say=self._say,
        )  # a TLS file OpenSSL refuses fails here, before the running bridge stops
        self._replace(None, 3.0)
        new.start()
        with self._lock:
            self._bridge = new
        self.settings = settings
        return settings

    def _replace(self, new: Any, timeout: float) -> None:
        with self._lock:
            old, self._bridge = self._bridge, new
        if old is not None:
            old.close(timeout)
            self._final = old.status()

    def status(self) -> dict[str, Any]:
        """The connection as a front-end shows it: `state` off / connecting / connected /
        retrying / refused, the broker's address (no password), the reason, seconds to the next
        attempt, and the messages sent, dropped and queued; one line of `text`."""
        with self._lock:
            bridge = self._bridge
        s = self.settings
        out: dict[str, Any] = {
            "on": bridge is not None,
            "url": s.url,  # never holds a password: parse_url refuses one
            "user": s.user,
            "password_set": bool(s.password or s.password_file or os.environ.get(PASSWORD_ENV)),
            "ca": s.ca or "",
            "broker": "",
            "name": s.name,
            "prefix": s.prefix,
            "discovery": s.discovery,
            "state": "off",
            "problem": "",
            "retry_in": None,
            "connected": False,
            "sent": 0,
            "dropped": 0,
            "queued": 0,
            "events": 0,
        }
        if bridge is not None:
            st = bridge.status()
            out.update({k: st[k] for k in ("broker", "connected", "problem", "sent", "dropped", "queued", "events")})
            out["name"] = bridge.name
            out["retry_in"] = bridge.link.retry_in()
            if st["connected"]:
                out["state"] = "connected"
            elif not st["problem"]:
                out["state"] = "connecting"
            else:
                out["state"] = "refused" if "refused" in st["problem"] else "retrying"
        out["text"] = describe(out)
        return out

    def options(self) -> list[str]:
        return self.settings.options()


def describe(st: dict[str, Any]) -> str:
    """`connected to mqtt://camera@host:1883`, `retrying in 4 s: cannot connect`, `refused: ...`."""
    state = st["state"]
    if state == "off":
        return "MQTT off"
    if state == "connected":
        return f"connected to {st['broker']}"
    if state == "connecting":
        return f"connecting to {st['broker']}…"
    wait = st.get("retry_in")
    again = f"retrying in {wait:.0f} s" if wait is not None else "retrying"
    if state == "refused":
        return f"refused: {st['problem'].removeprefix('the broker refused the connection: ')} ({again})"
    return f"{again}: {st['problem']}"


def with_password(settings: MqttSettings, password: str | None) -> MqttSettings:
    """`settings` with a new password; None keeps the one it has (a write-only field left empty)."""
    return settings if password is None else replace(settings, password=password or None)

