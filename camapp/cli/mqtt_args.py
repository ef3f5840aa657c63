"""`camapp run --mqtt URL`: the MQTT options, and starting the bridge beside the run.

Only this module (of the command line) names camapp.mqtt, and only when --mqtt (or --web, whose
page can start MQTT) is given; paho-mqtt only once a bridge starts. The options become the same
`MqttSettings` the desktop app and the page use, run by the same `MqttControl`.
"""

from __future__ import annotations

import argparse
from typing import Any

from camapp.errors import CamappError


def add_mqtt_options(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("MQTT and Home Assistant (needs the mqtt extra: .venv/bin/pip install -e '.[mqtt]' in your clone; see docs/mqtt.md)")
    g.add_argument(
        "--mqtt",
        metavar="URL",
        help="publish events, counts, snapshots and status to this broker and take commands from it: "
        "mqtt://[user@]host[:port] or mqtts://... (password: $CAMAPP_MQTT_PASSWORD or --mqtt-password-file)",
    )
    g.add_argument("--name", metavar="NAME", help="this camera's name in topics (default: the host name)")
    g.add_argument("--mqtt-prefix", metavar="TOPIC", help="the topics' prefix (default camapp)")
    g.add_argument("--mqtt-password-file", metavar="FILE", help="read the broker password from FILE")
    g.add_argument("--mqtt-ca", metavar="FILE", help="with mqtts://: the CA certificate to trust (PEM)")
    g.add_argument("--mqtt-cert", metavar="FILE", help="with mqtts://: a client certificate (PEM)")
    g.add_argument("--mqtt-key", metavar="FILE", help="with --mqtt-cert: its private key (PEM)")
    g.add_argument(
        "--mqtt-no-discovery",
        action="store_true",
        help="no Home Assistant discovery; removes the configs this camera published before",
    )


def settings(args: argparse.Namespace) -> Any:
    """The options as `MqttSettings` (on only with --mqtt)."""
    from camapp.mqtt.control import MqttSettings

    labels, zones = watched(args)
    return MqttSettings(
        on=bool(getattr(args, "mqtt", None)),
        url=getattr(args, "mqtt", None) or "",
        password_file=getattr(args, "mqtt_password_file", None),
        name=getattr(args, "name", None) or "",
        prefix=getattr(args, "mqtt_prefix", None) or "camapp",
        discovery=not getattr(args, "mqtt_no_discovery", False),
        ca=getattr(args, "mqtt_ca", None),
        cert=getattr(args, "mqtt_cert", None),
        key=getattr(args, "mqtt_key", None),
        labels=tuple(labels),
        zones=tuple(zones),
        record_dir=getattr(args, "record_dir", None) or "recordings",
    )


def check_mqtt(args: argparse.Namespace) -> Any:
    """Option mistakes (a bad URL, a missing file), reported before the camera opens; the `Broker`
    or None without --mqtt."""
    if not getattr(args, "mqtt", None):
        for flag in ("mqtt_prefix", "mqtt_password_file", "mqtt_ca", "mqtt_cert", "mqtt_key"):
            if getattr(args, flag, None) is not None:
                raise CamappError(f"--{flag.replace('_', '-')} goes with --mqtt URL")
        if getattr(args, "mqtt_no_discovery", False):
            raise CamappError("--mqtt-no-discovery goes with --mqtt URL")
        return None
    try:
        import camapp.mqtt.control  # noqa: F401
        from camapp.mqtt.link import Link  # noqa: F401  (paho-mqtt is there)
    except ImportError as exc:
        raise CamappError(f"--mqtt needs the mqtt extra: in your camapp clone, .venv/bin/pip install -e '.[mqtt]' ({exc})") from None
    return settings(args).check()


def watched(args: argparse.Namespace) -> tuple[list[str], list[str]]:
    """The labels and zones Home Assistant gets occupancy sensors for: the --classes filter, else
    the --record-on classes, else person; and every --zone."""
    record_on = [c for c in (getattr(args, "record_on", None) or []) if not c.startswith("zone:")]
    labels = list(getattr(args, "classes", None) or record_on or ["person"])
    zones = [z.name for z in (getattr(args, "zone", None) or [])]
    return labels, zones


def start_mqtt(args: argparse.Namespace, session: Any) -> Any:
    """The `MqttControl` over `session`, its bridge running with --mqtt; None when there is
    neither --mqtt nor --web (the page can start one). `stop_mqtt()` it when the run ends."""
    if not getattr(args, "mqtt", None) and not getattr(args, "web", None):
        return None
    from camapp.mqtt.control import MqttControl

    control = MqttControl(session)
    control.settings = settings(args)  # off without --mqtt; the page keeps its labels and zones
    if args.mqtt:
        control.apply(control.settings).result()
    return control


def stop_mqtt(control: Any, say: Any) -> None:
    """Disconnect (the last counts and `offline` go out while the broker is there); with a
    bridge that ran, `say` its summary line."""
    if control is None:
        return
    st = control.close()
    if st is not None:
        say(mqtt_line(st))


def mqtt_line(st: dict[str, Any]) -> str:
    line = f"mqtt: {st['broker']}: {st['events']} events, {st['sent']} messages acknowledged"
    if st["dropped"] or st["queued"]:
        line += f", {st['dropped']} dropped, {st['queued']} not sent"
    return line
