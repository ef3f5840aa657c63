"""The aiohttp application: the page, the video, the figures, the controls and the files.

Every answer that is not a success is one line of plain text with a 4xx status (a 500 says only
"internal error"; the traceback goes to the log, never to the client).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import math
import socket
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from aiohttp import web

from camapp.errors import CamappError
from camapp.web import events
from camapp.web.checks import BadRequest, flag, labels, number
from camapp.web.files import Refused, list_files, resolve_download
from camapp.web.frames import MjpegBroadcaster, Pulse
from camapp.web.motion import parse_motion
from camapp.web.protocol import WebSession
from camapp.web.security import COOKIE, COOKIE_MAX_AGE, KEY_HEADER, Guard, Refusal
from camapp.web.tracking import parse_change

log = logging.getLogger(__name__)

STATIC = Path(__file__).parent / "static"
PAGES = {
    "/": "index.html",
    "/app.js": "app.js",
    "/tracking.js": "tracking.js",
    "/motion.js": "motion.js",
    "/events.js": "events.js",
    "/settings.js": "settings.js",
    "/style.css": "style.css",
}
TYPES = {".html": "text/html", ".js": "text/javascript", ".css": "text/css"}
MAX_BODY = 16 * 1024
FIGURES_EVERY = 0.5  # seconds between figure pushes when nothing changed
BOUNDARY = "camappframe"
WRITE_HIGH = 16 * 1024  # bytes a viewer's connection buffers in user space before writes wait
STALL_S = 20.0
SEND_BUFFER = 128 * 1024  # a viewer's kernel send buffer (LAN or loopback: plenty for 15 fps)
HEADERS = {
    "Cache-Control": "no-store",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",  # a script's requests may carry the key in the URL
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; media-src 'self'; "
    "frame-ancestors 'none'; form-action 'none'",
}


def line(status: int, text: str) -> web.Response:
    """The one-line plain-text answer every refusal gets."""
    first = (str(text).strip().splitlines() or ["error"])[0][:200]
    return web.Response(status=status, text=first + "\n", content_type="text/plain")


def refuse(refusal: Refusal) -> web.Response:
    """A guard's refusal as its one line; a throttled client also learns when to try again."""
    resp = line(refusal.status, refusal.reason)
    if refusal.retry_after is not None:
        resp.headers["Retry-After"] = str(refusal.retry_after)
    return resp


class WebApp:
    """Routes and state for one session; `build()` returns the aiohttp application."""

    def __init__(self, session: WebSession, guard: Guard, broadcaster: MjpegBroadcaster) -> None:
        self.session = session
        self.guard = guard
        self.video = broadcaster
        self.changed: Pulse | None = None
        self.closing = False
        self.max_buffered = 0  # most bytes one viewer's connection was seen holding in user space
        self._viewing: set[Any] = set()  # the viewers' transports, sampled by `snapshot()`
        self.stalled = 0  # viewers let go for reading nothing

    def build(self) -> web.Application:
        app = web.Application(middlewares=[self._middleware], client_max_size=MAX_BODY)
        for path in PAGES:
            app.router.add_get(path, self.page)
        app.router.add_get("/api/status", self.status)
        app.router.add_get("/api/figures", self.figures)
        app.router.add_get("/api/files", self.files)
        app.router.add_get("/api/events", self.events)
        app.router.add_get(
            "/api/events/{id:[0-9]{1,18}}/{kind:snapshot|crop|clip|recording}", self.event_file
        )
        app.router.add_get("/video.mjpg", self.mjpeg)
        app.router.add_get("/files/{name:.+}", self.download)
        app.router.add_post("/api/signin", self.signin)  # before /api/{command}: routes match in order
        app.router.add_post("/api/{command}", self.control)
        app.on_response_prepare.append(self._headers)
        return app

    # -- plumbing ---------------------------------------------------------------------------------
    @web.middleware
    async def _middleware(self, request: web.Request, handler: Any) -> web.StreamResponse:
        problem = self.guard.check_host(request.headers.get("Host"))
        if problem:
            return line(403, problem)
        try:
            return await handler(request)
        except web.HTTPException as exc:
            if exc.status < 400:
                raise
            return line(exc.status, f"{exc.status} {exc.reason}".lower())
        except (BadRequest, CamappError, ValueError, TypeError) as exc:
            return line(400, f"bad request: {exc}")
        except TimeoutError:  # a command's future outlived its wait (a test to services that hang)
            return line(504, "timed out: the change is still under way; the status shows how it ends")
        except (asyncio.CancelledError, ConnectionError):
            raise
        except Exception:
            log.exception("web: %s %s failed", request.method, request.path)
            return line(500, "internal error")

    @staticmethod
    async def _headers(request: web.Request, response: web.StreamResponse) -> None:
        for k, v in HEADERS.items():
            response.headers.setdefault(k, v)

    def _key(self, request: web.Request) -> str | None:
        return request.headers.get(KEY_HEADER) or request.query.get("key")

    def _read_refused(self, request: web.Request) -> web.Response | None:
        refusal = self.guard.check_read(self._key(request), request.cookies.get(COOKIE), request.remote)
        return refuse(refusal) if refusal else None

    def _signed_in(self, response: web.StreamResponse) -> None:
        """The sign-in cookie: the page's script cannot read it, another site cannot send it."""
        if self.guard.cookie is not None:
            response.set_cookie(
                COOKIE, self.guard.cookie, max_age=COOKIE_MAX_AGE, path="/", httponly=True, samesite="Strict"
            )

    def buffered(self) -> int:
        """Bytes the fullest viewer connection holds in user space now (a stuck one included)."""
        now = max((t.get_write_buffer_size() for t in list(self._viewing) if not t.is_closing()), default=0)
        self.max_buffered = max(self.max_buffered, now)
        return now

    def snapshot(self) -> dict[str, Any]:
        self.buffered()
        status = dict(self.session.status())
        status["web"] = {
            "viewers": self.video.viewers,
            "fps_cap": self.video.fps,
            "encoded": self.video.encoded,
            "skipped": self.video.skipped,
            "max_buffered": self.max_buffered,
            "stalled": self.stalled,
        }
        return status

    # -- pages and data ---------------------------------------------------------------------------
    async def page(self, request: web.Request) -> web.StreamResponse:
        if request.path == "/" and "key" in request.query:
            return self._key_in_address(request)
        name = PAGES[request.path]
        body = (STATIC / name).read_bytes()
        return web.Response(body=body, content_type=TYPES[Path(name).suffix], charset="utf-8")

    def _key_in_address(self, request: web.Request) -> web.StreamResponse:
        """`/?key=...` signs in with a cookie and sends the browser to the address without the key
        (off the screen, the history and later links); a wrong key returns to the sign-in form."""
        refusal = self.guard.check_read(request.query.get("key"), None, request.remote)
        if refusal is not None and refusal.status == 429:
            return refuse(refusal)
        rest = [(k, v) for k, v in request.query.items() if k != "key"]
        target = request.path + (f"?{urlencode(rest)}" if rest else "") + ("#wrong-key" if refusal else "")
        resp = web.Response(status=303, headers={"Location": target})
        if refusal is None:
            self._signed_in(resp)
        return resp

    async def signin(self, request: web.Request) -> web.StreamResponse:
        """The page's sign-in form: the key in the header, answered with the cookie (204)."""
        h = request.headers
        refusal = self.guard.check_control(
            h.get(KEY_HEADER), h.get("Origin"), h.get("Host"), h.get("Sec-Fetch-Site"), None, request.remote
        )
        if refusal:
            return refuse(refusal)
        resp = web.Response(status=204)
        self._signed_in(resp)
        return resp

    async def status(self, request: web.Request) -> web.StreamResponse:
        return self._read_refused(request) or web.json_response(self.snapshot(), dumps=_dumps)

    async def files(self, request: web.Request) -> web.StreamResponse:
        refused = self._read_refused(request)
        if refused:
            return refused
        listing = await asyncio.to_thread(list_files, self.session.record_dir)
        return web.json_response({"folder": str(self.session.record_dir), "files": listing})

    def _events_db(self) -> Path | None:
        """The running session's event history (a session without one: None)."""
        locate = getattr(self.session, "events_db", None)
        return locate() if locate is not None else None

    async def events(self, request: web.Request) -> web.StreamResponse:
        """The Events panel's page (`camapp.web.events`); an unreadable history is one JSON error."""
        refused = self._read_refused(request)
        if refused:
            return refused
        query = events.Query.parse(request.query)
        try:
            found = await asyncio.to_thread(events.page, self._events_db(), query)
        except events.NoHistory as exc:
            return web.json_response({"error": str(exc)}, status=exc.status)
        return web.json_response(found, dumps=_dumps)

    async def event_file(self, request: web.Request) -> web.StreamResponse:
        """An event's snapshot, crop (JPEG) or clip (with ranges: the player seeks into it)."""
        refused = self._read_refused(request)
        if refused:
            return refused
        event_id, kind = int(request.match_info["id"]), request.match_info["kind"]
        try:
            roots = getattr(self.session, "media_folders", tuple)()  # the recording's folder
            path = await asyncio.to_thread(events.event_file, self._events_db(), event_id, kind, roots)
        except events.NoHistory as exc:
            return web.json_response({"error": str(exc)}, status=exc.status)
        return web.FileResponse(path, headers={"Content-Type": events.MEDIA[path.suffix.lower()]})

    async def download(self, request: web.Request) -> web.StreamResponse:
        refused = self._read_refused(request)
        if refused:
            return refused
        raw = request.raw_path.split("?", 1)[0]
        try:
            path = resolve_download(self.session.record_dir, request.match_info["name"], raw)
        except Refused as exc:
            return line(404 if str(exc) == "no such file" else 400, f"refused: {exc}")
        headers = {}
        if request.query.get("download"):
            headers["Content-Disposition"] = f'attachment; filename="{path.name}"'
        return web.FileResponse(path, headers=headers)

    async def figures(self, request: web.Request) -> web.StreamResponse:
        """Server-Sent Events: the status whenever it changes, and at least every FIGURES_EVERY s."""
        refused = self._read_refused(request)
        if refused:
            return refused
        assert self.changed is not None
        resp = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
        await resp.prepare(request)
        seen = self.changed.count
        while not self.closing:
            await resp.write(f"data: {_dumps(self.snapshot())}\n\n".encode())
            seen = await self.changed.wait(seen, FIGURES_EVERY)
            await asyncio.sleep(0.1)  # at most ~10 pushes a second, however busy the session
        return resp

    async def mjpeg(self, request: web.Request) -> web.StreamResponse:
        refused = self._read_refused(request)
        if refused:
            return refused
        resp = web.StreamResponse(headers={"Content-Type": f"multipart/x-mixed-replace; boundary={BOUNDARY}"})
        await resp.prepare(request)
        transport = request.transport
        if transport is not None:  # pause writing once about one frame waits in user space
            transport.set_write_buffer_limits(high=WRITE_HIGH)
            sock = transport.get_extra_info("socket")
            if sock is not None:  # and keep the kernel's share small too: a few frames at most
                with contextlib.suppress(OSError):
                    sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, SEND_BUFFER)
            self._viewing.add(transport)
        try:
            async for jpeg in self.video.frames():
                if self.closing:
                    break
                head = f"--{BOUNDARY}\r\nContent-Type: image/jpeg\r\nContent-Length: {len(jpeg)}\r\n\r\n"
                # this part must (nearly) leave user space before the next frame is taken: a slow
                # viewer skips frames instead of piling them up; one that reads nothing for
                # STALL_S seconds is let go
                await asyncio.wait_for(self._send(request, resp, head.encode() + jpeg + b"\r\n"), STALL_S)
        except asyncio.TimeoutError:
            self.stalled += 1
            log.info("web: a viewer read nothing for %g s; closed", STALL_S)
            if transport is not None:
                transport.abort()  # drop what it never read; finishing the response would wait again
        finally:
            self._viewing.discard(transport)
        return resp

    async def _send(self, request: web.Request, resp: web.StreamResponse, part: bytes) -> None:
        await resp.write(part)
        if request.transport is not None:
            self.max_buffered = max(self.max_buffered, request.transport.get_write_buffer_size())
        await request.writer.drain()  # returns once the buffer is below the low-water mark

    # -- controls ---------------------------------------------------------------------------------
    async def control(self, request: web.Request) -> web.StreamResponse:
        h = request.headers
        refusal = self.guard.check_control(
            h.get(KEY_HEADER),
            h.get("Origin"),
            h.get("Host"),
            h.get("Sec-Fetch-Site"),
            request.cookies.get(COOKIE),
            request.remote,
        )
        if refusal:
            return refuse(refusal)
        command = request.match_info["command"]
        act = COMMANDS.get(command)
        if act is None:
            return line(404, f"no such control: {command}")
        if request.content_type != "application/json":
            return line(415, "controls take a JSON body (Content-Type: application/json)")
        try:
            body = json.loads(await request.read() or b"{}")
        except (ValueError, UnicodeDecodeError, RecursionError):
            return line(400, "bad request: the body is not JSON")
        if not isinstance(body, dict):
            return line(400, "bad request: the body must be a JSON object")
        await asyncio.to_thread(act, self.session, body)
        return web.json_response(self.snapshot(), dumps=_dumps)


# -- command table: body checks (camapp.web.checks) here, value checks in the session ----------------------------------
def _input_size(session: WebSession, body: dict[str, Any]) -> None:
    size = body.get("size")
    if size == "auto":
        fps = number(body, "target_fps", 0.1, 240) if body.get("target_fps") is not None else None
        session.set_input_size("auto", fps)
    elif isinstance(size, int) and not isinstance(size, bool):
        session.set_input_size(size)
    else:
        raise BadRequest("'size' must be a whole number of pixels or \"auto\"")


COMMANDS = {
    "input-size": _input_size,
    "threshold": lambda s, b: s.set_threshold(number(b, "value", 0.0, 1.0)),
    "classes": lambda s, b: s.set_classes(labels(b, "labels")),
    "pause": lambda s, b: s.set_paused(flag(b)),
    "record": lambda s, b: s.set_recording(flag(b)),
    "events": lambda s, b: s.set_events(flag(b), labels(b, "classes")),
    "snapshot": lambda s, b: s.snapshot(),
    "tracking": lambda s, b: s.set_tracking(parse_change(b)),
    "motion": lambda s, b: s.set_motion(parse_motion(b)),
    "notify": lambda s, b: s.set_notify(b),  # checked by camapp.web.sinks, as the others by checks
    "notify-test": lambda s, b: s.test_notify(b),
    "mqtt": lambda s, b: s.set_mqtt(b),
    "detect": lambda s, b: s.set_detect(flag(b)),
}


def _finite(value: Any) -> Any:
    """NaN and infinity are not JSON: they go out as null."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {str(k): _finite(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite(v) for v in value]
    return value


def _dumps(value: Any) -> str:
    return json.dumps(_finite(value), default=str)
