"""`camapp run --mqtt URL`: the MQTT options, and starting the bridge beside the run.

Only this module (of the command line) names camapp.mqtt, and only when --mqtt is given, so a
run without it never imports paho-mqtt.
"""

from __future__ import annotations

import argparse
import re
import socket
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


def camera_name(args: argparse.Namespace) -> str:
    """--name, else the host name; a topic level allows no '/', '+' or '#'."""
    name = args.name or socket.gethostname().split(".")[0] or "camapp"
    if not re.fullmatch(r"[^/+#\s]+", name):
        raise CamappError(f"--name {name!r}: a camera name has no '/', '+', '#' or spaces")
    return name


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
        from camapp.mqtt import parse_url
        from camapp.mqtt.link import Link  # noqa: F401  (paho-mqtt is there)
    except ImportError as exc:
        raise CamappError(f"--mqtt needs the mqtt extra: in your camapp clone, .venv/bin/pip install -e '.[mqtt]' ({exc})") from None
    prefix = args.mqtt_prefix or "camapp"
    if not re.fullmatch(r"[^+#\s]+", prefix) or prefix.strip("/") != prefix:
        raise CamappError(f"--mqtt-prefix {prefix!r}: a topic with no '+', '#', spaces or outer '/'")
    camera_name(args)
    return parse_url(
        args.mqtt,
        ca=args.mqtt_ca,
        cert=args.mqtt_cert,
        key=args.mqtt_key,
        password_file=args.mqtt_password_file,
    )


def watched(args: argparse.Namespace) -> tuple[list[str], list[str]]:
    """The labels and zones Home Assistant gets occupancy sensors for: the --classes filter, else
    the --record-on classes, else person; and every --zone."""
    record_on = [c for c in (getattr(args, "record_on", None) or []) if not c.startswith("zone:")]
    labels = list(getattr(args, "classes", None) or record_on or ["person"])
    zones = [z.name for z in (getattr(args, "zone", None) or [])]
    return labels, zones


def start_mqtt(args: argparse.Namespace, session: Any) -> Any:
    """The running bridge over `session`, or None without --mqtt; `close()` it when the run ends."""
    broker = check_mqtt(args)
    if broker is None:
        return None
    from camapp.mqtt.bridge import MqttBridge

    labels, zones = watched(args)
    bridge = MqttBridge(
        session,
        broker,
        camera_name(args),
        args.mqtt_prefix or "camapp",
        discovery_on=not args.mqtt_no_discovery,
        labels=labels,
        zones=zones,
        record_dir=getattr(args, "record_dir", None) or "recordings",
    )
    bridge.start()
    return bridge
