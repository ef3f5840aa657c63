"""Sending: one Apprise URL per `Channel`, each with its own worker thread and small queue.

Why a thread and a queue per URL: a service that is down or hangs (Apprise waits up to its
`cto`/`rto` socket timeouts, 4 s each by default) delays only its own messages, never the
pipeline and never the other URLs. The queue is bounded (`QUEUE`): a message that finds it full
is dropped and counted. A failed send is retried with a growing pause (1 s, 2 s, 4 s... up to
`BACKOFF_MAX`) until it goes through or is `MAX_AGE` seconds old; the outage is logged once
when it begins and once when it ends, and Apprise's own per-attempt logging is kept out of the
terminal. The snapshot is drawn and encoded on the worker, once per message for all URLs.

This is the only module that imports Apprise (the `notify` extra).
"""

from __future__ import annotations

import contextlib
import logging
import queue
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from camapp.errors import CamappError

log = logging.getLogger(__name__)

QUEUE = 4  # messages waiting per URL; more arrive only when a service is down or slow
BACKOFF_MAX = 60.0
MAX_AGE = 300.0  # seconds a message is retried before it is given up
NEED_EXTRA = "notifications need Apprise: in your camapp clone, .venv/bin/pip install -e '.[notify]'"


def _apprise() -> Any:
    try:
        import apprise
    except ImportError:
        raise CamappError(NEED_EXTRA) from None
    _Reasons.install()
    return apprise


def check_url(url: str) -> Any:
    """The Apprise service for `url`; a URL Apprise cannot parse is a one-line `CamappError`."""
    service = _apprise().Apprise.instantiate(url)
    if service is None:
        raise CamappError(
            f"--notify {_scheme(url)}: not a notification URL Apprise understands (see docs/events.md)"
        )
    return service


def redacted(url: str) -> str:
    """What a page or a log may show of `url`: Apprise's own privacy form (tokens and passwords
    masked, options left out); a URL Apprise cannot parse shows only its scheme."""
    try:
        service = check_url(url)
    except CamappError:
        return _scheme(url)
    return str(service.url(privacy=True)).split("?", 1)[0]


def send_once(url: str, title: str, body: str) -> str:
    """Send one message now, on the calling thread (Apprise's own socket timeouts bound it):
    "" when it went through, else the one-line reason. For a settings dialog's test button."""
    try:
        service = check_url(url)
        _Reasons.clear()
        if service.notify(body=body, title=title):
            return ""
        return _Reasons.last() or "the service refused the message"
    except CamappError as exc:
        return str(exc)
    except Exception as exc:  # a plugin's bug: a reason, never a traceback in a front-end
        return f"{type(exc).__name__}: {exc}"


def _scheme(url: str) -> str:
    """What can be shown of a URL that may carry a token: its scheme."""
    return url.split("://", 1)[0] + "://…" if "://" in url else repr(url[:12])


@dataclass
class Note:
    """One message: the object event (its `to_dict()` form), the result whose frame shows it,
    and the camera's name. The snapshot is encoded when a channel first asks for it."""

    event: dict[str, Any]
    result: Any = None
    camera: str = ""
    made: float = field(default_factory=time.monotonic)
    _jpeg: bytes | None = field(default=None, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def title(self) -> str:
        e = self.event
        where = f" in {', '.join(e['zones'] or e['entered'])}" if e.get("zones") or e.get("entered") else ""
        return f"{e['label']} {e['score']:.0%}{where}" + (f" · {self.camera}" if self.camera else "")

    @property
    def body(self) -> str:
        e = self.event
        at = datetime.fromtimestamp(e["wall"]).strftime("%Y-%m-%d %H:%M:%S")
        lines = [
            f"{e['label']} (score {e['score']:.0%}) seen{' by ' + self.camera if self.camera else ''} at {at}"
        ]
        if e.get("entered"):
            lines.append(f"zones: {', '.join(e['entered'])}")
        lines.append(
            f"object {e['id']}" + (f", track {e['track_id']}" if e.get("track_id") is not None else "")
        )
        return "\n".join(lines)

    def jpeg(self) -> bytes | None:
        """The annotated frame as JPEG (drawn once, on the first channel that asks)."""
        if self.result is None:
            return None
        with self._lock:
            if self._jpeg is None:
                self._jpeg = encode_snapshot(self.result)
            return self._jpeg


def encode_snapshot(result: Any, quality: int = 85) -> bytes:
    import cv2

    from camapp.render import annotate

    image = annotate(result.frame.image, result.detections, track=getattr(result, "track", None))
    ok, buf = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, quality])
    if not ok:
        raise ValueError("JPEG encoding failed")
    return buf.tobytes()


class Channel:
    """Sends `Note`s to one Apprise URL from its own thread; `submit` never blocks."""

    def __init__(self, url: str, size: int = QUEUE, max_age: float = MAX_AGE) -> None:
        self._apprise = _apprise()
        self.service = check_url(url)
        self.name = str(self.service.url(privacy=True)).split("?", 1)[0]  # tokens masked, options left out
        self.max_age = max_age
        self._queue: queue.Queue[Note | None] = queue.Queue(size)
        self._stop = threading.Event()
        self._deadline = float("inf")  # set by close(): messages still waiting then are not sent
        self._lock = threading.Lock()
        self.sent = self.failed = self.dropped = self.unsent = 0
        self.down_since: float | None = None
        self._failed_before = 0  # failed count when the outage began
        self.error = ""
        self._thread = threading.Thread(target=self._run, name="camapp-notify", daemon=True)
        self._thread.start()

    def submit(self, note: Note) -> bool:
        try:
            self._queue.put_nowait(note)
            return True
        except queue.Full:
            with self._lock:
                self.dropped += 1
            return False

    def close(self, timeout: float = 5.0) -> None:
        """Send what waits for up to `timeout` seconds (no more retries), then stop."""
        self._deadline = time.monotonic() + timeout
        self._stop.set()
        with contextlib.suppress(queue.Full):  # a full queue: the worker sees the stop flag anyway
            self._queue.put(None, timeout=timeout)
        self._thread.join(max(0.0, self._deadline - time.monotonic()))

    def status(self) -> dict[str, Any]:
        with self._lock:
            return {
                "url": self.name,
                "sent": self.sent,
                "failed": self.failed,
                "dropped": self.dropped,
                "unsent": self.unsent,
                "waiting": self._queue.qsize(),
                "down": self.down_since is not None,
                "error": self.error,
            }

    def _run(self) -> None:
        while True:
            note = self._queue.get()
            if note is None:
                return
            if time.monotonic() >= self._deadline:
                with self._lock:
                    self.unsent += 1
                continue
            self._deliver(note)

    def _deliver(self, note: Note) -> None:
        delay = 1.0
        while True:
            ok, why = self._send(note)
            if ok:
                self._up()
                with self._lock:
                    self.sent += 1
                return
            self._down(why)
            if self._stop.is_set() or time.monotonic() - note.made + delay > self.max_age:
                with self._lock:
                    self.failed += 1
                return
            if self._stop.wait(delay):
                with self._lock:
                    self.failed += 1
                return
            delay = min(delay * 2, BACKOFF_MAX)

    def _send(self, note: Note) -> tuple[bool, str]:
        apprise = self._apprise
        try:
            attach = None
            data = note.jpeg()
            if data is not None:
                from apprise.attachment.memory import AttachMemory

                name = f"camapp-{note.event['label']}-{note.event['id']}.jpg"
                attach = apprise.AppriseAttachment(
                    AttachMemory(content=data, name=name, mimetype="image/jpeg")
                )
            _Reasons.clear()
            ok = bool(self.service.notify(body=note.body, title=note.title, attach=attach))
            return ok, "" if ok else (_Reasons.last() or "the service refused the message")
        except Exception as exc:  # a plugin's bug or a bad frame: one message lost, never the thread
            return False, f"{type(exc).__name__}: {exc}"

    def _up(self) -> None:
        if self.down_since is not None:
            with self._lock:
                failed = self.failed - self._failed_before
                self.down_since, self.error = None, ""
            log.warning("notify: %s works again (%d message(s) failed meanwhile)", self.name, failed)

    def _down(self, why: str) -> None:
        with self._lock:
            first, self.error = self.down_since is None, why
            if first:
                self.down_since, self._failed_before = time.monotonic(), self.failed
        if first:
            log.warning("notify: cannot send to %s: %s (retrying quietly)", self.name, why)


class _Reasons(logging.Handler):
    """Keeps Apprise's last warning per thread (the reason a send failed) instead of printing it."""

    _last: dict[int, str] = {}
    _installed = False

    def emit(self, record: logging.LogRecord) -> None:
        self._last[threading.get_ident()] = record.getMessage().strip().splitlines()[0]

    @classmethod
    def install(cls) -> None:
        if not cls._installed:
            cls._installed = True
            logger = logging.getLogger("apprise")
            logger.addHandler(cls(logging.WARNING))
            logger.propagate = False

    @classmethod
    def clear(cls) -> None:
        cls._last.pop(threading.get_ident(), None)

    @classmethod
    def last(cls) -> str:
        return cls._last.get(threading.get_ident(), "")
