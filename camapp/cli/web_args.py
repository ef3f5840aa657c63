"""`camapp run --web [HOST:]PORT`: the browser view's options, and starting it beside the run.

Only this module names the web stack, and only when --web is given, so a run without it (and
the desktop app) never imports aiohttp.
"""

from __future__ import annotations

import argparse
import errno
import importlib.util
import socket
from pathlib import Path
from typing import Any

from camapp.cli.common import positive_float
from camapp.errors import CamappError


def web_address(text: str) -> tuple[str, int]:
    """'8080', 'HOST:8080' or '[::1]:8080' -> (host, port); the host defaults to loopback."""
    host, sep, port = text.rpartition(":")
    if not sep:
        host, port = "127.0.0.1", text
    host = host.strip("[]") or "127.0.0.1"
    try:
        number = int(port)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not [HOST:]PORT") from None
    if not 0 < number < 65536:
        raise argparse.ArgumentTypeError(f"port {number} is not between 1 and 65535")
    return host, number


def add_web_options(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("browser view (needs the web extra)")
    g.add_argument(
        "--web",
        type=web_address,
        metavar="[HOST:]PORT",
        help="serve the live view and controls on PORT (host 127.0.0.1 unless given; any other "
        "address needs a key, made on first use and printed once, or --web-password)",
    )
    g.add_argument(
        "--web-fps", type=positive_float, metavar="FPS", help="cap on the video's frame rate (default 15)"
    )
    g.add_argument("--web-password", metavar="TEXT", help="a password instead of the stored key")
    g.add_argument(
        "--web-dir",
        metavar="DIR",
        help="the folder the page records into and lists (default: --record-dir, else recordings)",
    )


def check_web(args: argparse.Namespace) -> None:
    """Option mistakes, reported before the camera opens and the model loads."""
    if not getattr(args, "web", None):
        for flag in ("web_fps", "web_password", "web_dir"):
            if getattr(args, flag, None) is not None:
                raise CamappError(f"--{flag.replace('_', '-')} goes with --web [HOST:]PORT")
    elif args.web_password is not None and len(args.web_password) < 8:
        raise CamappError("--web-password must be at least 8 characters")


def check_port(host: str, port: int) -> None:
    """Fail now (one line, exit 2) if the browser view could not listen on host:port, before the
    camera opens and a recording starts: a busy port must not leave a recording behind, which a
    retry with the same --record FILE would then refuse as already there. The web server binds
    the same way (SO_REUSEADDR), so what passes here binds there, unless taken in between."""
    if importlib.util.find_spec("aiohttp") is None:  # the same one line start_web gives, but now
        raise CamappError(
            "--web needs the web extra: in your camapp clone, .venv/bin/pip install -e '.[web]'"
        )
    if port == 0:
        return
    try:
        family, kind, proto, _, address = socket.getaddrinfo(
            host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
        )[0]
        with socket.socket(family, kind, proto) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            probe.bind(address)
    except OSError as exc:
        if exc.errno == errno.EADDRINUSE:
            why = "the port is already in use"  # as the web server says it
        elif exc.errno == errno.EACCES:
            why = "permission denied (ports below 1024 need root)"
        else:
            why = str(getattr(exc, "strerror", None) or exc)
        raise CamappError(f"--web {host}:{port}: {why}") from None


def start_web(args: argparse.Namespace, session: Any, *, mqtt: Any = None, notify: Any = None) -> Any:
    """The running web server over `session`, or None without --web; `stop()` it when the run ends.
    `mqtt` and `notify` are the run's controls (`start_mqtt`, `start_notify`): the page's Settings
    panel shows and changes them."""
    check_web(args)
    if not getattr(args, "web", None):
        return None
    try:
        from camapp.web.bind import start
        from camapp.web.view import SessionView
    except ImportError as exc:
        raise CamappError(
            f"--web needs the web extra: in your camapp clone, .venv/bin/pip install -e '.[web]' ({exc})"
        ) from None
    host, port = args.web
    view = SessionView(session, Path(args.web_dir or args.record_dir or "recordings"), mqtt=mqtt, notify=notify)
    try:
        server = start(view, host, port, fps=args.web_fps or 15.0, password=args.web_password)
    except BaseException:
        view.close()
        raise
    server.closers.append(view.close)
    return server


def web_measures(args: argparse.Namespace, fixed: int | None) -> bool:
    """With --web and the whole ladder, time every rung before the source starts, so the page's
    slider shows each rung's measured time from the first frame (a few seconds at start-up).
    With frame-parallel lanes the figures are one lane's (each frame takes one lane's invoke)."""
    return bool(getattr(args, "web", None)) and fixed is None
