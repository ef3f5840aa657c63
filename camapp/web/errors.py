"""aiohttp answers a request it cannot parse (huge header, garbage, TLS on the HTTP port) itself,
before any middleware, with a multi-line text that echoes the client's bytes. This swaps in a
request handler whose answer is one line, like every other refusal of this server."""

from __future__ import annotations

import logging
from typing import Any

from aiohttp import web
from aiohttp.web_protocol import RequestHandler

log = logging.getLogger(__name__)

REASONS = (
    ("more than", "a header or the request line is too long"),
    ("too many headers", "too many headers"),
    ("https", "this port speaks plain HTTP (TLS belongs to a reverse proxy)"),
    ("method", "not an HTTP request"),
    ("status line", "not an HTTP request"),
    ("version", "unsupported HTTP version"),
    ("content-length", "bad Content-Length"),
    ("chunk", "bad chunked body"),
    ("header", "malformed header"),
)


def reason(message: str | None) -> str:
    """A fixed phrase for aiohttp's parser message: never the client's own bytes."""
    text = (message or "").lower()
    return next((phrase for key, phrase in REASONS if key in text), "malformed request")


class OneLineHandler(RequestHandler):
    def handle_error(
        self, request: Any, status: int = 500, exc: BaseException | None = None, message: str | None = None
    ) -> web.StreamResponse:
        log.info("web: refused a malformed request: %s", reason(message) if status < 500 else exc)
        if request.writer.output_size > 0:
            raise ConnectionError("response already sent")
        text = "internal error" if status >= 500 else f"bad request: {reason(message)}"
        resp = web.Response(status=status, text=text + "\n", content_type="text/plain")
        resp.force_close()
        return resp


class OneLineServer(web.Server):
    def __call__(self) -> RequestHandler:
        return OneLineHandler(self, loop=self._loop, **self._kwargs)


class OneLineRunner(web.AppRunner):
    """`web.AppRunner` whose connections answer unparsable requests in one line."""

    async def _make_server(self) -> web.Server:
        server = await super()._make_server()
        if type(server) is web.Server:
            server.__class__ = OneLineServer  # same state; only the handler it makes differs
        return server
