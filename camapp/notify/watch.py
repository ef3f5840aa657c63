"""The adapter between a running session and the channels: the one module here that knows the
session's event names (`result`, `object`, `opened`).

Observers run on the pipeline's delivery thread, so this only keeps references and decides
(`Gate`): the frame is drawn, encoded and sent on the channels' threads. The snapshot is the
best-scoring frame of the object seen so far (its start frame, or a better one before it entered
a watched zone).
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import Any
from urllib.parse import urlsplit

from camapp.notify.channel import Channel, Note
from camapp.notify.rules import Gate, Rules


class Notifier:
    """Subscribes to `session` (anything with `subscribe(observer) -> unsubscribe`) and sends a
    message to every URL for each object event the rules let through."""

    def __init__(self, session: Any, urls: Sequence[str], rules: Rules, camera: str = "") -> None:
        self.channels = [Channel(url) for url in urls]
        self.gate = Gate(rules)
        self.camera = camera
        self._named = bool(camera)  # a name given by the user wins over the source's description
        self._latest: Any = None
        self._best: dict[int, tuple[float, Any]] = {}  # object id -> (score, result showing it)
        self._lock = threading.Lock()
        self._unsubscribe = session.subscribe(self._event)

    def _event(self, name: str, payload: dict[str, Any]) -> None:
        if name == "result":
            self._latest = payload["result"]
        elif name == "opened" and not self._named:
            self.camera = camera_name(str(payload.get("text", "")))
        elif name == "object":
            self._object(payload)

    def _object(self, e: dict[str, Any]) -> None:
        oid, latest = e["id"], self._latest
        with self._lock:
            if e["type"] == "end":
                self._best.pop(oid, None)
            elif (
                latest is not None
                and getattr(latest.frame, "index", None) == e["frame"]  # this event's own frame
                and e["score"] >= self._best.get(oid, (-1.0, None))[0]
            ):
                self._best[oid] = (e["score"], latest)
            send = self.gate.check(e)
            shown = self._best.get(oid, (0.0, None))[1]
        if send:
            note = Note(e, shown, self.camera)
            for channel in self.channels:
                channel.submit(note)

    def close(self, timeout: float = 5.0) -> None:
        """Stop listening; send what waits for up to `timeout` seconds in all."""
        self._unsubscribe()
        threads = [threading.Thread(target=c.close, args=(timeout,)) for c in self.channels]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout + 1.0)

    def status(self) -> dict[str, Any]:
        """Counts: objects notified, filtered out and held back by the cooldown; per URL sent,
        failed, dropped on a full queue, unsent at the end, waiting, and whether it is down."""
        with self._lock:
            counts = dict(self.gate.counts)
        return {
            "notified": counts.get("notified", 0),
            "filtered": counts.get("filtered", 0),
            "cooldown": counts.get("cooldown", 0),
            "channels": [c.status() for c in self.channels],
        }


def camera_name(text: str) -> str:
    """The source's description without its size and rate ("camera 0 (640x480, 30 fps)"), and a
    stream's URL reduced to its host: a password in an RTSP URL must not go to a messaging service."""
    name = text.rsplit(" (", 1)[0] if text.endswith(")") else text
    if "://" in name:
        url = urlsplit(name)
        return f"{url.scheme}://{url.hostname or '?'}" + (f":{url.port}" if url.port else "")
    return name


def summary(status: dict[str, Any]) -> str:
    """One line for the end of a run."""
    parts = [f"notify: {status['notified']} object(s) notified"]
    if status["cooldown"]:
        parts.append(f"{status['cooldown']} held back by the cooldown")
    if status["filtered"]:
        parts.append(f"{status['filtered']} filtered out")
    for c in status["channels"]:
        text = f"{c['url']}: {c['sent']} sent"
        for key in ("failed", "dropped", "unsent"):
            if c[key]:
                text += f", {c[key]} {key}" + (" (queue full)" if key == "dropped" else "")
        parts.append(text)
    return " | ".join(parts)
