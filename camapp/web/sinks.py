"""The page's Settings panel: the POST bodies for notifications and MQTT, read into the same
settings the command line and the desktop app make (`NotifySettings.make`, `MqttSettings.check`).

Secrets are write-only: a notification URL carries a token and the broker has a password, so the
page never gets them back. `urls` or `password` left out (or null) keeps the running ones; the
status shows the URLs in Apprise's privacy form and only whether a password is set. Shape
mistakes are a `BadRequest` naming the body's field; a value the parsers refuse keeps their line.
"""

from __future__ import annotations

import shlex
from dataclasses import replace
from typing import Any

from camapp.errors import FieldError
from camapp.mqtt.control import MqttControl, MqttSettings
from camapp.notify.control import NotifyControl, NotifySettings
from camapp.web.checks import BadRequest, flag, is_real

NOTIFY_FIELDS = {"on", "urls", "labels", "zones", "cooldown"}
MQTT_FIELDS = {"on", "url", "user", "password", "name", "prefix", "discovery", "ca"}
NOTIFY_KEYS = {"notify": "urls", "notify-label": "labels", "notify-zone": "zones", "notify-cooldown": "cooldown"}
MAX_TEXT = 1000
MAX_ITEMS = 20


def _unknown(body: dict[str, Any], known: set[str]) -> None:
    extra = sorted(set(body) - known)
    if extra:
        raise BadRequest(f"unknown field {extra[0][:40]!r}")


def _text(body: dict[str, Any], key: str, default: str = "") -> str:
    value = body.get(key)
    if value is None:
        return default
    if not isinstance(value, str) or len(value) > MAX_TEXT or "\n" in value:
        raise BadRequest(f"{key!r} must be one line of text")
    return value.strip()


def _texts(body: dict[str, Any], key: str) -> list[str] | None:
    value = body.get(key)
    if value is None:
        return None
    if (
        not isinstance(value, list)
        or len(value) > MAX_ITEMS
        or not all(isinstance(v, str) and 0 < len(v) <= MAX_TEXT for v in value)
    ):
        raise BadRequest(f"{key!r} must be a list of at most {MAX_ITEMS} texts")
    return value


def parse_notify(body: dict[str, Any], current: NotifySettings) -> NotifySettings:
    """`{"on": bool, "urls": [..] | null, "labels": [..], "zones": [..], "cooldown": s}`."""
    _unknown(body, NOTIFY_FIELDS)
    cooldown = body.get("cooldown", current.cooldown)
    if not is_real(cooldown):
        raise BadRequest("'cooldown' must be a number of seconds")
    urls = _texts(body, "urls")
    try:
        return NotifySettings.make(
            flag(body),
            current.urls if urls is None else urls,
            _texts(body, "labels") or (),
            _texts(body, "zones") or (),
            float(cooldown),
            current.name,
        )
    except FieldError as exc:
        raise BadRequest(f"{NOTIFY_KEYS.get(exc.field, exc.field)!r}: {exc.reason}") from None


def parse_test(body: dict[str, Any], current: NotifySettings) -> NotifySettings:
    """`{"urls": [..] | null}`: what the test button sends to (null: the running URLs)."""
    _unknown(body, {"urls"})
    urls = _texts(body, "urls")
    return current if not urls else replace(current, urls=tuple(urls))


def parse_mqtt(body: dict[str, Any], current: MqttSettings) -> MqttSettings:
    """`{"on": bool, "url", "user", "password": str | null, "name", "prefix", "discovery": bool,
    "ca"}`; the labels, zones and folder the run was started with are kept."""
    _unknown(body, MQTT_FIELDS)
    password = body.get("password")
    if password is not None and (not isinstance(password, str) or len(password) > MAX_TEXT):
        raise BadRequest("'password' must be text")
    new = replace(
        current,
        on=flag(body),
        url=_text(body, "url", current.url),
        user=_text(body, "user", current.user),
        password=current.password if password is None else (password or None),
        name=_text(body, "name", current.name),
        prefix=_text(body, "prefix", current.prefix) or "camapp",
        discovery=flag(body, "discovery") if "discovery" in body else current.discovery,
        ca=_text(body, "ca", current.ca or "") or None,
    )
    if new.on and not new.url:
        raise BadRequest("'url': give the broker, mqtt://[user@]host[:port] or mqtts://...")
    return new


def sinks_status(mqtt: MqttControl, notify: NotifyControl) -> dict[str, Any]:
    """The page's view of both: their status (URLs redacted, no password: only whether one is
    set) and the `camapp run` options that make the page's choices permanent."""
    options = mqtt.options() + notify.options()
    return {
        "mqtt": mqtt.status(),
        "notify": notify.status(),
        "command": " ".join(shlex.quote(o) for o in options),
    }
