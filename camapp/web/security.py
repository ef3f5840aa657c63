"""Who may watch and steer: loopback needs nothing, any other address needs a secret.

The secret is `--web-password`, or a random token made on first use and kept in the user config
folder (mode 0600) so the URL a user bookmarked keeps working. A request for data (video,
figures, files) carries it as `?key=`, the `X-Camapp-Key` header, or the sign-in cookie: the
page, opened once with `?key=`, sets that cookie (HttpOnly, SameSite=Strict) and drops the key
from the address, so the key rides in no later URL. Controls are POSTs that must carry the header
(empty with the cookie), which a cross-origin page cannot send without a CORS preflight this
server never grants, and whose Origin, when sent, must be this host.

Wrong keys are counted per client address: after `FAIL_LIMIT` in `FAIL_WINDOW` seconds the
address gets 429 with Retry-After, its keys unread, until the oldest of those failures is
`FAIL_WINDOW` old. A person-chosen password is thus guessed at most `FAIL_LIMIT` times a minute
from one address (an IPv6 client counts per /64, the block one host usually holds).
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import logging
import math
import os
import secrets
import threading
import time
from collections import OrderedDict, deque
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

log = logging.getLogger(__name__)

KEY_HEADER = "X-Camapp-Key"
TOKEN_FILE = "web-token"
LOOPBACK_NAMES = ("localhost", "localhost.")
COOKIE = "camapp-signin"
COOKIE_MAX_AGE = 30 * 24 * 3600  # a month: the bookmarked address without a key keeps working
FAIL_LIMIT = 10  # wrong keys one client address may send within FAIL_WINDOW
FAIL_WINDOW = 60.0  # seconds
MAX_CLIENTS = 4096  # addresses whose failures are remembered (the oldest is forgotten first)


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


@dataclass(frozen=True)
class Refusal:
    """A refused request: its status, the one line the client reads, and for 429 the seconds to wait."""

    status: int
    reason: str
    retry_after: int | None = None

    def __str__(self) -> str:
        return self.reason


def client_id(address: str | None) -> str:
    """What failures are counted against: the IPv4 address, or the /64 of an IPv6 one."""
    text = (address or "").split("%", 1)[0]
    try:
        ip = ipaddress.ip_address(text)
    except ValueError:
        return text
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return str(ip)


class Throttle:
    """Failed keys per client in a sliding window; `clock` is injectable (tests move time on)."""

    def __init__(
        self,
        limit: int = FAIL_LIMIT,
        window: float = FAIL_WINDOW,
        clock: Callable[[], float] = time.monotonic,
        max_clients: int = MAX_CLIENTS,
    ) -> None:
        if limit < 1 or not window > 0:
            raise ValueError("the throttle needs a limit of at least 1 and a positive window")
        self.limit = limit
        self.window = window
        self.clock = clock
        self.max_clients = max_clients
        self._fails: OrderedDict[str, deque[float]] = OrderedDict()  # the last `limit` failure times
        self._lock = threading.Lock()

    def wait(self, address: str | None) -> float:
        """Seconds until `address` may present a key again (0: now)."""
        who = client_id(address)
        with self._lock:
            fails = self._fails.get(who)
            if fails is None or len(fails) < self.limit:
                return 0.0
            # the oldest of the last `limit` failures: once it is a window old, fewer remain in it
            return max(0.0, fails[0] + self.window - self.clock())

    def failed(self, address: str | None) -> None:
        who = client_id(address)
        with self._lock:
            fails = self._fails.pop(who, None) or deque(maxlen=self.limit)
            fails.append(self.clock())
            self._fails[who] = fails  # the most recent client last
            while len(self._fails) > self.max_clients:
                self._fails.popitem(last=False)


class Guard:
    """Checks one request's secret, origin and host; `None` means allowed, else a `Refusal` (or,
    for the Host check, a 403 line)."""

    def __init__(self, secret: str | None, loopback_only: bool, throttle: Throttle | None = None) -> None:
        self.secret = secret
        self.loopback_only = loopback_only
        self.throttle = throttle or Throttle()
        # the cookie is derived from the secret: a restart keeps it valid, a new password ends it
        self.cookie = (
            None
            if secret is None
            else hmac.new(secret.encode("utf-8"), b"camapp browser sign-in", hashlib.sha256).hexdigest()
        )

    def key_ok(self, presented: str | None) -> bool:
        if self.secret is None:
            return True
        if not presented:
            return False
        return hmac.compare_digest(presented.encode("utf-8", "replace"), self.secret.encode("utf-8"))

    def cookie_ok(self, presented: str | None) -> bool:
        if self.cookie is None:
            return True
        if not presented:
            return False
        return hmac.compare_digest(presented.encode("utf-8", "replace"), self.cookie.encode("ascii"))

    def sign_in(self, client: str | None, key: str | None, cookie: str | None = None) -> Refusal | None:
        """Allowed if the key or the cookie is right. A throttled client is refused before either
        is read (a 429 says nothing about the key); a wrong one counts against the client, a
        request with neither (the page's first look) does not."""
        if self.secret is None:
            return None
        wait = self.throttle.wait(client)
        if wait > 0:
            seconds = max(1, math.ceil(wait))
            return Refusal(429, f"too many wrong keys: try again in {seconds} s", seconds)
        if self.key_ok(key) or self.cookie_ok(cookie):
            return None
        if key or cookie:
            self.throttle.failed(client)
            wait = self.throttle.wait(client)
            if wait > 0:  # this failure closed the door: say so once, not at every 429 that follows
                log.warning(
                    "web: %d wrong keys from %s within %g s; refusing it for %d s",
                    self.throttle.limit,
                    client_id(client),
                    self.throttle.window,
                    math.ceil(wait),
                )
        return Refusal(401, "unauthorized: missing or wrong key")

    def check_host(self, host_header: str | None) -> str | None:
        """On loopback, refuse other Host names: a DNS-rebinding page cannot reach the camera."""
        if not self.loopback_only:
            return None
        host = urlsplit(f"//{host_header or ''}").hostname or ""
        return None if is_loopback(host) else "forbidden: unknown host"

    def check_read(
        self, key: str | None, cookie: str | None = None, client: str | None = None
    ) -> Refusal | None:
        return self.sign_in(client, key, cookie)

    def check_control(
        self,
        key_header: str | None,
        origin: str | None,
        host: str | None,
        fetch_site: str | None,
        cookie: str | None = None,
        client: str | None = None,
    ) -> Refusal | None:
        """A control: the key header (the key, or empty beside the cookie; present even when no
        secret is set) and no foreign origin, not even a sibling site's."""
        if key_header is None:
            return Refusal(403, f"forbidden: controls need the {KEY_HEADER} header")
        if fetch_site and fetch_site not in ("same-origin", "none"):
            return Refusal(403, "forbidden: cross-origin request")
        if origin == "null" or (origin and urlsplit(origin).netloc.lower() != (host or "").lower()):
            return Refusal(403, "forbidden: cross-origin request")
        return self.sign_in(client, key_header, cookie)
