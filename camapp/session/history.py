"""The event history as the desktop app reads it: pages of plain dicts with absolute paths.

The front-ends do not open databases themselves; this is their read-only window on
`camapp.record.eventstore` (`camapp run --history`'s `events.db` in a record folder).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from camapp.errors import CamappError
from camapp.record.eventmedia import media
from camapp.record.eventstore import DB_NAME, EventStore, default_folder


def history_folder(preferred: str | Path) -> Path:
    """Where to read a history: `preferred` (the app's output folder) when it holds one, else the
    user data folder, where `camapp run --history` keeps it when nothing is recorded."""
    preferred = Path(preferred)
    return preferred if (preferred / DB_NAME).is_file() else default_folder()


def read_events(
    folder: str | Path, *, before: int | None = None, label: str | None = None, limit: int = 50
) -> list[dict[str, Any]]:
    """The newest `limit` events of `folder`'s history older than id `before` (none when the
    folder has no history); its snapshot, crop, clip and recording as absolute paths, and what
    plays (`play`: kind, path, offset; the event clip, else the continuous recording) or why
    nothing does (`note`). An unreadable history is a `CamappError` with one line. Blocks on
    disk: call it off the GUI thread."""
    db = Path(folder) / DB_NAME
    if not db.is_file():
        return []
    store = EventStore(db, readonly=True)
    try:
        rows = store.page(before=before, label=label, limit=limit)
    except Exception as exc:  # sqlite3.Error: corrupt, or locked past the timeout
        raise CamappError(f"event history {db}: {exc}") from None
    finally:
        store.close()
    out = []
    for e in rows:
        d = e.to_dict()
        for key in ("snapshot", "crop", "clip", "recording"):
            if d[key]:
                d[key] = str(db.parent / d[key])
        m = media(e, db.parent)
        d["play"] = {"kind": m.kind, "path": str(m.path), "offset": m.offset} if m.playable else None
        d["note"] = m.note
        out.append(d)
    return out
