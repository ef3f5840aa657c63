"""Start the browser view for a front-end: the secret policy, the address, the one URL printed."""

from __future__ import annotations

import socket
from collections.abc import Callable
from typing import Any

from camapp.errors import CamappError
from camapp.web.protocol import WebSession
from camapp.web.runner import WebServer
from camapp.web.security import is_loopback, load_or_create_token, token_path


def lan_address() -> str:
    """This machine's address on the LAN (the one a phone would use); no packet is sent."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        try:
            s.connect(("192.0.2.1", 9))  # TEST-NET-1: only picks the outgoing interface
            return str(s.getsockname()[0])
        except OSError:
            return socket.gethostname()


def start(
    session: WebSession,
    host: str,
    port: int,
    *,
    fps: float = 15.0,
    password: str | None = None,
    say: Callable[[str], Any] = print,
) -> WebServer:
    """Serve `session` on host:port. Loopback needs no secret; any other address needs
    `password` or the stored token (made on first use, printed once in the URL)."""
    if password is not None and len(password) < 8:
        raise CamappError("--web-password must be at least 8 characters")
    secret, created = password, False
    if secret is None and not is_loopback(host):
        try:
            secret, created = load_or_create_token()
        except OSError as exc:
            raise CamappError(f"cannot store the web key in {token_path()}: {exc.strerror}") from None
    server = WebServer(session, host, port, fps=fps, secret=secret)
    server.start()
    shown = lan_address() if host in ("0.0.0.0", "::", "") else host
    url = server.url.replace(f"//{host}:", f"//{shown}:") if shown != host else server.url
    if password is not None or secret is None:
        say(f"web: {url}" + (" (password required)" if password is not None else ""))
    elif created:
        say(f"web: {url}?key={secret}  (new key, shown once; stored in {token_path()})")
    else:
        say(f"web: {url}  (open it with ?key=<the key in {token_path()}>)")
    return server
