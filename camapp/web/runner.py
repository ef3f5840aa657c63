"""Runs the web server on a thread of its own, beside whatever drives the session."""

from __future__ import annotations

import asyncio
import logging
import socket
import threading
from typing import Any

from aiohttp import web

from camapp.errors import CamappError
from camapp.web.errors import OneLineRunner
from camapp.web.frames import MjpegBroadcaster, Pulse
from camapp.web.protocol import WebSession
from camapp.web.security import Guard, Throttle, is_loopback
from camapp.web.server import WebApp

log = logging.getLogger(__name__)


class _OneLine(logging.Filter):
    """aiohttp logs a malformed request (huge header, garbage) with a traceback; one line is enough."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.exc_info and record.exc_info[1] is not None:
            exc = record.exc_info[1]
            text = (str(exc).strip().splitlines() or [type(exc).__name__])[-1]
            record.msg, record.args = "web: refused a malformed request: %s", (text[:120],)
            record.exc_info = record.exc_text = None
            record.levelno, record.levelname = logging.INFO, "INFO"
        return record.levelno >= logging.getLogger().getEffectiveLevel()


logging.getLogger("aiohttp.server").addFilter(_OneLine())


class WebServer:
    """`start()` binds (a taken port or bad address is a `CamappError`), `stop()` ends every stream.

    `secret` None allows anyone who can connect, which `camapp.web.bind` only allows on loopback;
    `throttle` counts wrong keys per client (the default: 10 a minute).
    """

    def __init__(
        self,
        session: WebSession,
        host: str = "127.0.0.1",
        port: int = 8080,
        *,
        fps: float = 15.0,
        secret: str | None = None,
        throttle: Throttle | None = None,
    ) -> None:
        self.session = session
        self.host = host
        self.port = port
        # without a secret, only loopback names may reach it (DNS rebinding); a secret covers a proxy too
        self.guard = Guard(secret, loopback_only=is_loopback(host) and secret is None, throttle=throttle)
        self.video = MjpegBroadcaster(fps)
        self.app = WebApp(session, self.guard, self.video)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._runner: web.AppRunner | None = None
        self._thread: threading.Thread | None = None
        self._unsubscribe: list[Any] = []
        self.closers: list[Any] = []  # called once the server has stopped (e.g. finalize recordings)

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}/"

    def start(self) -> None:
        ready = threading.Event()
        failure: list[BaseException] = []

        def serve() -> None:
            loop = asyncio.new_event_loop()
            self._loop = loop
            try:
                loop.run_until_complete(self._open())
            except BaseException as exc:
                failure.append(exc)
                ready.set()
                loop.close()
                return
            ready.set()
            try:
                loop.run_forever()
            finally:
                loop.run_until_complete(self._close())
                loop.close()

        self._thread = threading.Thread(target=serve, name="camapp-web", daemon=True)
        self._thread.start()
        ready.wait()
        if failure:
            exc = failure[0]
            raise CamappError(f"--web {self.host}:{self.port}: {_why(exc)}") from exc

    async def _open(self) -> None:
        loop = asyncio.get_running_loop()
        self.app.changed = Pulse(loop)
        self.video.start(loop)
        self._runner = OneLineRunner(self.app.build(), access_log=None, shutdown_timeout=2.0)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        if self.port == 0:  # tests ask for any free port
            server = site._server
            sockets = getattr(server, "sockets", None) or []
            self.port = sockets[0].getsockname()[1]
        changed = self.app.changed
        self._unsubscribe = [
            self.session.on_result(self.video.offer),
            self.session.on_change(changed.fire),
        ]

    async def _close(self) -> None:
        for unsubscribe in self._unsubscribe:
            unsubscribe()
        self.app.closing = True
        self.video.stop()
        if self._runner is not None:
            await self._runner.cleanup()

    def stop(self) -> None:
        loop, thread = self._loop, self._thread
        if loop is not None and thread is not None and thread.is_alive():
            loop.call_soon_threadsafe(loop.stop)
            thread.join(10.0)
        closers, self.closers = self.closers, []
        for close in closers:
            close()


def _why(exc: BaseException) -> str:
    if isinstance(exc, OSError):
        if exc.errno in (98, 48, 10048):
            return "the port is already in use"
        if exc.errno in (99, 49, 10049):
            return "this machine has no such address"
        if exc.errno == 13:
            return "permission denied (ports below 1024 need root)"
        if isinstance(exc, socket.gaierror):
            return "unknown host name"
        return exc.strerror or str(exc)
    return str(exc)
