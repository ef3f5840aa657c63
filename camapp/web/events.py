"""The Events panel's data: the running session's event history (`camapp.record.eventstore`).

`GET /api/events?label=&zone=&day=&before=&limit=` answers one page, newest first, paged by id
(`next_before` asks for the next older page); `/api/events/<id>/snapshot`, `/crop`, `/clip` and
`/recording` serve an event's files; each entry's `play` says which of its videos plays from
where (`camapp.record.eventmedia`), or `note` why none does. Each request opens the database
read-only on a worker thread: the run that writes it is never blocked, and a missing, corrupt or
locked database is one JSON error (`{"error": ...}`, 404 or 503) while the video and the rest of
the page go on.
"""

from __future__ import annotations

import datetime as dt
import re
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from camapp.errors import CamappError
from camapp.record.eventmedia import IN_PROGRESS, RECORDING, media, writing
from camapp.record.eventstore import EventStore, StoredEvent
from camapp.web.checks import BadRequest

PAGE = 24  # events a page holds unless `limit` says otherwise
MAX_PAGE = 200
MAX_TEXT = 100  # characters of a label or zone filter
KINDS = {"snapshot": "snapshot", "crop": "crop", "clip": "clip", "recording": "recording"}
MEDIA = {".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".mp4": "video/mp4", ".mkv": "video/x-matroska"}
_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


class NoHistory(Exception):
    """The history cannot be read: `status` (404 none yet, 503 unreadable) and one line."""

    def __init__(self, status: int, text: str) -> None:
        super().__init__(text)
        self.status = status


@dataclass(frozen=True)
class Query:
    """The panel's filters and its page, checked."""

    label: str | None = None
    zone: str | None = None
    since: float | None = None
    until: float | None = None
    before: int | None = None
    limit: int = PAGE

    @classmethod
    def parse(cls, q: Any) -> Query:
        """From a request's query (a mapping of strings); a bad value is a `BadRequest`."""
        label, zone = _text(q, "label"), _text(q, "zone")
        since = until = None
        day = (q.get("day") or "").strip()
        if day:
            if not _DAY.match(day):
                raise BadRequest("'day' must be a date, YYYY-MM-DD")
            try:
                d = dt.date.fromisoformat(day)
            except ValueError:
                raise BadRequest(f"'day' {day!r} is not a date") from None
            # the server's local day, as `camapp events list` shows times
            since = time.mktime((d.year, d.month, d.day, 0, 0, 0, 0, 0, -1))
            nxt = d + dt.timedelta(days=1)
            until = time.mktime((nxt.year, nxt.month, nxt.day, 0, 0, 0, 0, 0, -1))
        before = _whole(q, "before", 1, 2**62)
        limit = _whole(q, "limit", 1, MAX_PAGE)
        return cls(label, zone, since, until, before, PAGE if limit is None else limit)


def _text(q: Any, key: str) -> str | None:
    value = (q.get(key) or "").strip()
    if len(value) > MAX_TEXT:
        raise BadRequest(f"'{key}' is longer than {MAX_TEXT} characters")
    return value or None


def _whole(q: Any, key: str, low: int, high: int) -> int | None:
    raw = (q.get(key) or "").strip()
    if not raw:
        return None
    if not raw.isdigit() or not low <= int(raw) <= high:
        raise BadRequest(f"'{key}' must be a whole number from {low} to {high}")
    return int(raw)


def open_store(db: Path | None) -> EventStore:
    """The history at `db`, read-only; `NoHistory` when there is none or it cannot be read."""
    if db is None:
        raise NoHistory(404, "no event history in this session: run camapp with --history")
    if not db.is_file():
        raise NoHistory(404, f"no event history yet at {db}")
    try:
        return EventStore(db, readonly=True)
    except CamappError as exc:
        raise NoHistory(503, str(exc)) from None


def page(db: Path | None, query: Query) -> dict[str, Any]:
    """One page of the panel (worker thread): the events, the next page's `before`, and the
    labels and zones to filter by."""
    store = open_store(db)
    try:
        events = store.page(
            before=query.before,
            since=query.since,
            until=query.until,
            label=query.label,
            zone=query.zone,
            limit=query.limit + 1,  # one more says whether an older page exists
        )
        labels, zones = store.facets()
    except Exception as exc:  # sqlite3.Error: corrupt or locked past the timeout
        raise NoHistory(503, f"event history {db}: {exc}") from None
    finally:
        store.close()
    more = len(events) > query.limit
    events = events[: query.limit]
    folder = db.parent if db is not None else None
    return {
        "events": [entry(e, folder) for e in events],
        "next_before": events[-1].id if more and events else None,
        "labels": labels,
        "zones": zones,
        "now": time.time(),
    }


def entry(e: StoredEvent, folder: Path | None = None) -> dict[str, Any]:
    """What the panel shows of one event, with the addresses of its files; with the history's
    `folder`, also what plays (`play`: url, offset, kind) or why nothing does (`note`)."""
    base = f"/api/events/{e.id}"
    shown: dict[str, Any] = {"play": None, "note": ""}
    if folder is not None:
        m = media(e, folder)
        if m.kind is not None:
            shown["play"] = {"kind": m.kind, "url": f"{base}/{m.kind}", "offset": m.offset}
        shown["note"] = m.note
    return {
        "id": e.id,
        "camera": e.camera,
        "label": e.label,
        "track_id": e.track_id,
        "started": e.started,
        "ended": e.ended,
        "duration": None if e.ended is None else round(max(0.0, e.ended - e.started), 3),
        "top_score": e.top_score,
        "zones": list(e.zones),
        "lines": list(e.lines),
        "snapshot": f"{base}/snapshot" if e.snapshot else None,
        "crop": f"{base}/crop" if e.crop else None,
        "clip": f"{base}/clip" if e.clip else None,
        "clip_offset": e.clip_offset,
        "clip_gone": e.clip_gone,
        "recording": f"{base}/recording" if e.recording else None,
        "recording_offset": e.recording_offset,
        "recording_gone": e.recording_gone,
        **shown,
    }


def event_file(db: Path | None, event_id: int, kind: str, roots: tuple[Path, ...] = ()) -> Path:
    """The file `kind` (snapshot, crop, clip, recording) of event `event_id` (worker thread);
    only a file inside the database's folder, or a recording inside one of `roots` (the running
    recording's folder), is served. `NoHistory`: 404 when there is none, 409 for a recording
    still being written (browsers cannot seek in it before it is finalized)."""
    store = open_store(db)
    try:
        e = store.get(event_id)
    except Exception as exc:
        raise NoHistory(503, f"event history {db}: {exc}") from None
    finally:
        store.close()
    if e is None:
        raise NoHistory(404, f"no event {event_id}")
    name = getattr(e, KINDS[kind])
    if not name:
        raise NoHistory(404, f"event {event_id} has no {kind}")
    assert db is not None
    folder = db.parent.resolve()
    try:
        path = (folder / name).resolve(strict=True)
    except (OSError, RuntimeError):
        raise NoHistory(404, f"the {kind} of event {event_id} is gone") from None
    allowed = [folder, *(r.resolve() for r in roots)] if kind == RECORDING else [folder]
    inside = any(path.is_relative_to(r) for r in allowed)
    if not inside or not path.is_file() or path.suffix.lower() not in MEDIA:
        raise NoHistory(404, f"the {kind} of event {event_id} is not served")
    if kind == RECORDING and writing(path):
        raise NoHistory(409, IN_PROGRESS)
    return path
