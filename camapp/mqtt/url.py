"""Where the broker is: `mqtt://[user@]host[:port]` or `mqtts://...`, TLS files and the password.

The password never appears in the URL (it would show in `ps` and shell history): it comes from
the environment (CAMAPP_MQTT_PASSWORD) or a file, and no message or repr prints it.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urlsplit

from camapp.errors import CamappError

PASSWORD_ENV = "CAMAPP_MQTT_PASSWORD"
PORTS = {"mqtt": 1883, "mqtts": 8883}


@dataclass(frozen=True)
class Broker:
    """A broker address; `password` is hidden from repr so a log line cannot leak it."""

    host: str
    port: int
    tls: bool = False
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    ca: str | None = None
    cert: str | None = None
    key: str | None = None

    @property
    def address(self) -> str:
        """`mqtts://user@host:port`, what messages name (no password)."""
        user = f"{self.username}@" if self.username else ""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{'mqtts' if self.tls else 'mqtt'}://{user}{host}:{self.port}"


def masked(url: str) -> str:
    """`url` as a message may show it: a password typed into it (refused, but named in the
    refusal) becomes `***`, even where a '/' in it or a bad port stops the URL parser."""
    head, at, tail = url.rpartition("@")
    scheme, sep, userinfo = head.partition("://")
    if not at or not sep or ":" not in userinfo:
        return url
    return f"{scheme}://{userinfo.split(':', 1)[0]}:***@{tail}"


def parse_url(
    url: str,
    *,
    ca: str | None = None,
    cert: str | None = None,
    key: str | None = None,
    password_file: str | None = None,
    environ: dict[str, str] | None = None,
) -> Broker:
    """The `Broker` a URL and its options name; every mistake is a one-line `CamappError` (exit 2)."""
    env = os.environ if environ is None else environ
    shown = masked(url)
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise CamappError(f"--mqtt {shown!r}: {exc}") from None
    scheme = parts.scheme.lower()
    if scheme not in PORTS:
        raise CamappError(f"--mqtt {shown!r}: expected mqtt://[user@]host[:port] or mqtts://...")
    if not parts.hostname:
        raise CamappError(f"--mqtt {shown!r}: no host")
    if port == 0:
        raise CamappError(f"--mqtt {shown!r}: port 0 is not a broker's port")
    if parts.password is not None:
        raise CamappError(
            f"--mqtt: no password in the URL; set {PASSWORD_ENV} or use --mqtt-password-file FILE"
        )
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        raise CamappError(f"--mqtt {shown!r}: only mqtt://[user@]host[:port], no path or query")
    tls = scheme == "mqtts"
    if not tls and (ca or cert or key):
        raise CamappError("--mqtt-ca, --mqtt-cert and --mqtt-key go with an mqtts:// URL")
    if bool(cert) != bool(key):
        raise CamappError("--mqtt-cert and --mqtt-key go together (the client certificate and its key)")
    for flag, path in (("--mqtt-ca", ca), ("--mqtt-cert", cert), ("--mqtt-key", key)):
        if path and not Path(path).is_file():
            raise CamappError(f"{flag} {path}: no such file")
    password = None
    if password_file:
        try:
            password = Path(password_file).read_text(encoding="utf-8").strip("\r\n")
        except OSError as exc:
            raise CamappError(f"--mqtt-password-file {password_file}: {exc.strerror or exc}") from None
    elif env.get(PASSWORD_ENV):
        password = env[PASSWORD_ENV]
    username = unquote(parts.username) if parts.username else None
    if password is not None and username is None:
        raise CamappError(f"--mqtt: a password needs a user name: mqtt{'s' if tls else ''}://USER@host")
    return Broker(parts.hostname, port or PORTS[scheme], tls, username, password, ca, cert, key)
