"""Who may watch and steer: loopback needs nothing, any other address needs a secret.

The secret is `--web-password`, or a random token made on first use and kept in the user config
folder (mode 0600) so the URL a user bookmarked keeps working. Every request for data (video,
figures, files) carries it, as `?key=` (an <img> cannot send headers) or the `X-Camapp-Key`
header; controls are POSTs that must carry the header, which a cross-origin page cannot send
without a CORS preflight this server never grants, and whose Origin, when sent, must be this host.
"""

from __future__ import annotations

import hmac
import ipaddress
import os
import secrets
from pathlib import Path
from urllib.parse import urlsplit

KEY_HEADER = "X-Camapp-Key"
TOKEN_FILE = "web-token"
LOOPBACK_NAMES = ("localhost", "localhost.")


def is_loopback(host: str) -> bool:
    """True for 127.0.0.0/8, ::1 and localhost; a name is not resolved (it could point anywhere)."""
    host = host.strip("[]")
    if host.lower() in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def token_path() -> Path:
    from platformdirs import user_config_dir

    return Path(user_config_dir("camapp")) / TOKEN_FILE


def load_or_create_token(path: Path | None = None) -> tuple[str, bool]:
    """The stored token, or a new one written with mode 0600; (token, created)."""
    path = path or token_path()
    try:
        token = path.read_text(encoding="ascii").strip()
        if len(token) >= 16:
            return token, False
    except (FileNotFoundError, UnicodeDecodeError):
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    token = secrets.token_urlsafe(24)
    tmp = path.with_name(f".{path.name}.{os.getpid()}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.write(fd, token.encode("ascii") + b"\n")
        os.fsync(fd)
    finally:
        os.close(fd)
    os.chmod(tmp, 0o600)
    os.replace(tmp, path)
    return token, True


class Guard:
    """Checks one request's secret, origin and host; `None` means allowed, else a 4xx line."""

    def __init__(self, secret: str | None, loopback_only: bool) -> None:
        self.secret = secret
        self.loopback_only = loopback_only

    def key_ok(self, presented: str | None) -> bool:
        if self.secret is None:
            return True
        if not presented:
            return False
        return hmac.compare_digest(presented.encode("utf-8", "replace"), self.secret.encode("utf-8"))

    def check_host(self, host_header: str | None) -> str | None:
        """On loopback, refuse other Host names: a DNS-rebinding page cannot reach the camera."""
        if not self.loopback_only:
            return None
        host = urlsplit(f"//{host_header or ''}").hostname or ""
        return None if is_loopback(host) else "forbidden: unknown host"

    def check_read(self, key: str | None) -> str | None:
        return None if self.key_ok(key) else "unauthorized: missing or wrong key"

    def check_control(
        self, key_header: str | None, origin: str | None, host: str | None, fetch_site: str | None
    ) -> str | None:
        """A control: the key in the header (even when no secret is set) and no foreign origin."""
        if key_header is None:
            return f"forbidden: controls need the {KEY_HEADER} header"
        if fetch_site and fetch_site not in ("same-origin", "none"):
            return "forbidden: cross-origin request"
        if origin and origin != "null" and urlsplit(origin).netloc.lower() != (host or "").lower():
            return "forbidden: cross-origin request"
        if origin == "null":
            return "forbidden: cross-origin request"
        return None if self.key_ok(key_header) else "unauthorized: missing or wrong key"
