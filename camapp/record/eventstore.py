"""`EventStore`: the event history, one SQLite database per record folder (`events.db`).

One row per object event (`camapp.pipeline.objects`): when it started and ended, what it was,
its best score and box, the zones it entered and the lines it crossed, its snapshot, and the
clip that shows it with the offset into that clip. The standard library's `sqlite3` in WAL mode
with `synchronous=NORMAL`: a committed event survives the process being killed (kill -9), and a
reader (`camapp events list`) never blocks the writer. The schema is versioned (`PRAGMA
user_version`) and brought up to date by `MIGRATIONS` when a database is opened; a database from
a newer camapp is refused rather than changed.

Times are seconds since the epoch; paths are relative to the database's folder when inside it.
"""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from camapp.errors import CamappError

DB_NAME = "events.db"


def default_folder() -> Path:
    """Where the history goes when nothing is recorded: `CAMAPP_EVENTS_DIR`, else `events` in
    the platform's user data folder."""
    env = os.environ.get("CAMAPP_EVENTS_DIR", "").strip()
    if env:
        return Path(env).expanduser()
    import platformdirs

    return Path(platformdirs.user_data_dir("camapp", appauthor=False)) / "events"


# Each entry brings the schema from version i to i + 1; never edit one that shipped, add one.
MIGRATIONS: tuple[str, ...] = (
    """
    CREATE TABLE events (
        id INTEGER PRIMARY KEY AUTOINCREMENT,  -- never reused: snapshots are named by it
        camera TEXT NOT NULL,
        label TEXT NOT NULL,
        track_id INTEGER,
        started REAL NOT NULL,
        ended REAL,
        top_score REAL NOT NULL,
        box TEXT NOT NULL,
        zones TEXT NOT NULL DEFAULT '[]',
        lines TEXT NOT NULL DEFAULT '[]',
        snapshot TEXT,
        crop TEXT,
        clip TEXT,
        clip_offset REAL
    );
    CREATE INDEX events_started ON events (started);
    CREATE INDEX events_label_started ON events (label, started);
    """,
    # the continuous recording that shows an event (a segment, and the seconds into it), and why
    # an event's clip or recording file is gone (a disk cap deleted it) while the event stays
    """
    ALTER TABLE events ADD COLUMN recording TEXT;
    ALTER TABLE events ADD COLUMN recording_offset REAL;
    ALTER TABLE events ADD COLUMN clip_gone TEXT;
    ALTER TABLE events ADD COLUMN recording_gone TEXT;
    CREATE INDEX events_clip ON events (clip);
    CREATE INDEX events_recording ON events (recording);
    """,
)
COLUMNS = (
    "id",
    "camera",
    "label",
    "track_id",
    "started",
    "ended",
    "top_score",
    "box",
    "zones",
    "lines",
    "snapshot",
    "crop",
    "clip",
    "clip_offset",
    "recording",
    "recording_offset",
    "clip_gone",
    "recording_gone",
)
FILES = ("snapshot", "crop", "clip", "recording")  # the fields that name files


@dataclass(frozen=True)
class StoredEvent:
    """One row. `ended` is None while the object is still in view (or the run was killed first)."""

    id: int
    camera: str
    label: str
    track_id: int | None
    started: float
    ended: float | None
    top_score: float
    box: tuple[float, ...]
    zones: tuple[str, ...]
    lines: tuple[str, ...]
    snapshot: str | None
    crop: str | None
    clip: str | None
    clip_offset: float | None
    recording: str | None = None  # the continuous recording's file that shows the event's start
    recording_offset: float | None = None
    clip_gone: str | None = None  # why `clip` was deleted ("disk cap"); None while it is there
    recording_gone: str | None = None

    @classmethod
    def of(cls, row: sqlite3.Row) -> StoredEvent:
        d = dict(zip(COLUMNS, row))
        for key in ("box", "zones", "lines"):
            d[key] = tuple(json.loads(d[key]))
        return cls(**d)

    def to_dict(self) -> dict[str, Any]:
        return {k: list(v) if isinstance(v, tuple) else v for k, v in self.__dict__.items()}


class EventStore:
    """An open event database. One writer thread at a time; readers may be other processes."""

    def __init__(self, path: str | Path, *, readonly: bool = False) -> None:
        self.path = Path(path)
        self.folder = self.path.parent
        try:
            if readonly:
                if not self.path.is_file():
                    raise CamappError(f"no event history at {self.path}")
                uri = f"{self.path.resolve().as_uri()}?mode=ro"
                self._db = sqlite3.connect(uri, uri=True, timeout=5.0, check_same_thread=False)
            else:
                self.folder.mkdir(parents=True, exist_ok=True)
                self._db = sqlite3.connect(self.path, timeout=5.0, check_same_thread=False)
                self._db.execute("PRAGMA journal_mode=WAL")
                self._db.execute("PRAGMA synchronous=NORMAL")  # with WAL: a crash loses no commit
            self._db.row_factory = sqlite3.Row
            self._migrate(readonly)
        except sqlite3.Error as exc:
            raise CamappError(f"event history {self.path}: {exc}") from None
        except OSError as exc:
            raise CamappError(f"event history {self.path}: {exc.strerror or exc}") from None

    @property
    def version(self) -> int:
        return int(self._db.execute("PRAGMA user_version").fetchone()[0])

    def _migrate(self, readonly: bool) -> None:
        have = self.version
        if have > len(MIGRATIONS):
            raise CamappError(
                f"event history {self.path} is schema version {have}, newer than this camapp "
                f"({len(MIGRATIONS)}): upgrade camapp to use it"
            )
        if have == len(MIGRATIONS):
            return
        if readonly:
            raise CamappError(
                f"event history {self.path} is an older version: open it once with `camapp run`"
            )
        for version in range(have, len(MIGRATIONS)):
            with self._db:  # one transaction per step: a failed step leaves the last good version
                self._db.executescript(
                    f"BEGIN; {MIGRATIONS[version]}; PRAGMA user_version = {version + 1}; COMMIT;"
                )

    # --- writing ------------------------------------------------------------------------------
    def add(
        self,
        camera: str,
        label: str,
        track_id: int | None,
        started: float,
        top_score: float,
        box: tuple[float, ...],
        zones: tuple[str, ...] = (),
        lines: tuple[str, ...] = (),
    ) -> int:
        """A new, open event; its id. Not committed until `commit()`."""
        cur = self._db.execute(
            "INSERT INTO events (camera, label, track_id, started, top_score, box, zones, lines)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (camera, label, track_id, started, top_score, _json(box), _json(zones), _json(lines)),
        )
        return int(cur.lastrowid or 0)

    def update(self, event_id: int, **fields: Any) -> None:
        """Set some of `ended`, `top_score`, `box`, `zones`, `lines`, `snapshot`, `crop`, `clip`,
        `clip_offset`, `recording`, `recording_offset`, `clip_gone`, `recording_gone` (paths are
        stored relative to the database's folder when inside it)."""
        if not fields:
            return
        bad = set(fields) - set(COLUMNS[5:])
        if bad:
            raise ValueError(f"not an event field: {', '.join(sorted(bad))}")
        values = [self._value(k, v) for k, v in fields.items()]
        sets = ", ".join(f"{k} = ?" for k in fields)
        self._db.execute(f"UPDATE events SET {sets} WHERE id = ?", (*values, event_id))

    def commit(self) -> None:
        self._db.commit()

    def _value(self, key: str, value: Any) -> Any:
        if key in ("box", "zones", "lines"):
            return _json(value)
        if key in FILES and value is not None:
            return self.relative(Path(value))
        return value

    def relative(self, path: Path) -> str:
        """`path` relative to the database's folder when inside it, else absolute (resolved)."""
        try:
            return str(path.resolve().relative_to(self.folder.resolve()))
        except ValueError:
            return str(path.resolve())

    # --- reading ------------------------------------------------------------------------------
    def list(
        self,
        *,
        since: float | None = None,
        until: float | None = None,
        label: str | None = None,
        zone: str | None = None,
        limit: int | None = None,
        offset: int = 0,
        oldest_first: bool = False,
    ) -> list[StoredEvent]:
        """Events, newest first (by start), filtered by start time, label and zone entered."""
        where, args = self._where(since, until, label, zone)
        order = "ASC" if oldest_first else "DESC"
        sql = f"SELECT {', '.join(COLUMNS)} FROM events{where} ORDER BY started {order}, id {order}"
        if limit is not None:
            sql += " LIMIT ? OFFSET ?"
            args += [limit, offset]
        return [StoredEvent.of(r) for r in self._db.execute(sql, args)]

    def iter(self, **filters: Any) -> Iterator[StoredEvent]:
        """All matching events, oldest first, in pages (an export of any size in little memory)."""
        offset = 0
        while True:
            page = self.list(**filters, limit=500, offset=offset, oldest_first=True)
            yield from page
            if len(page) < 500:
                return
            offset += 500

    def page(
        self,
        *,
        before: int | None = None,
        since: float | None = None,
        until: float | None = None,
        label: str | None = None,
        zone: str | None = None,
        limit: int = 24,
    ) -> list[StoredEvent]:
        """One page of events, newest first by id, older than event `before` (paging by id: a
        page stays the same while new events arrive, unlike an offset). Filters as `list`."""
        where, args = self._where(since, until, label, zone)
        if before is not None:
            where += (" AND " if where else " WHERE ") + "id < ?"
            args.append(before)
        sql = f"SELECT {', '.join(COLUMNS)} FROM events{where} ORDER BY id DESC LIMIT ?"
        return [StoredEvent.of(r) for r in self._db.execute(sql, [*args, limit])]

    def facets(self) -> tuple[list[str], list[str]]:
        """The labels and the zones that occur in the history, sorted: the panel's filter choices."""
        labels = [r[0] for r in self._db.execute("SELECT DISTINCT label FROM events ORDER BY label")]
        zones = [
            r[0]
            for r in self._db.execute(
                "SELECT DISTINCT j.value FROM events, json_each(events.zones) AS j"
                " WHERE events.zones != '[]' ORDER BY 1"
            )
        ]
        return labels, zones

    def get(self, event_id: int) -> StoredEvent | None:
        row = self._db.execute(
            f"SELECT {', '.join(COLUMNS)} FROM events WHERE id = ?", (event_id,)
        ).fetchone()
        return StoredEvent.of(row) if row is not None else None

    def count(self) -> int:
        return int(self._db.execute("SELECT COUNT(*) FROM events").fetchone()[0])

    @staticmethod
    def _where(
        since: float | None, until: float | None, label: str | None, zone: str | None
    ) -> tuple[str, list[Any]]:
        conds, args = [], []
        if since is not None:
            conds.append("started >= ?")
            args.append(since)
        if until is not None:
            conds.append("started < ?")
            args.append(until)
        if label is not None:
            conds.append("label = ?")
            args.append(label)
        if zone is not None:
            conds.append("EXISTS (SELECT 1 FROM json_each(events.zones) WHERE value = ?)")
            args.append(zone)
        return (" WHERE " + " AND ".join(conds) if conds else ""), args

    # --- pruning ------------------------------------------------------------------------------
    def prune(self, before: float) -> list[StoredEvent]:
        """Delete the events that ended before `before`, and their snapshots; an open event (no
        end yet) is never pruned. Returns what was deleted."""
        rows = [
            StoredEvent.of(r)
            for r in self._db.execute(
                f"SELECT {', '.join(COLUMNS)} FROM events WHERE ended IS NOT NULL AND ended < ?", (before,)
            )
        ]
        self.delete(rows)
        return rows

    def delete(self, events: list[StoredEvent]) -> None:
        """Delete these rows (one transaction), then their snapshots. Their clips stay: a clip
        may show other events too, and the folder's cap (`camapp.record.retention`) owns them."""
        with self._db:
            self._db.executemany("DELETE FROM events WHERE id = ?", [(e.id,) for e in events])
        for e in events:
            for name in (e.snapshot, e.crop):
                if name:
                    (self.folder / name).unlink(missing_ok=True)

    def oldest_ended(self, limit: int = 100) -> list[StoredEvent]:
        """The `limit` events that ended first (never an open one): what a cap deletes first."""
        sql = (
            f"SELECT {', '.join(COLUMNS)} FROM events WHERE ended IS NOT NULL"
            " ORDER BY started ASC, id ASC LIMIT ?"
        )
        return [StoredEvent.of(r) for r in self._db.execute(sql, (limit,))]

    def mark_gone(self, path: Path, reason: str) -> int:
        """The file `path` was deleted (`reason`: "disk cap"): the events whose clip or recording
        it was keep their rows and say why it is gone. Committed; returns the rows marked."""
        name = self.relative(Path(path))
        with self._db:
            n = self._db.execute(
                "UPDATE events SET clip_gone = ? WHERE clip = ? AND clip_gone IS NULL", (reason, name)
            ).rowcount
            n += self._db.execute(
                "UPDATE events SET recording_gone = ? WHERE recording = ? AND recording_gone IS NULL",
                (reason, name),
            ).rowcount
        return n

    def integrity(self) -> str:
        """`PRAGMA integrity_check`: "ok" for a sound database."""
        return str(self._db.execute("PRAGMA integrity_check").fetchone()[0])

    def close(self) -> None:
        try:
            self._db.commit()
        finally:
            self._db.close()


def _json(value: Any) -> str:
    return json.dumps(list(value), separators=(",", ":"))
