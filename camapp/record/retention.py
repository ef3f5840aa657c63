"""The event history's disk cap: its folder's event clips and snapshots kept under a size.

What a user keeps a history for is the list of what happened; the video is the bulky part. So
when the folder holds more than the cap, the oldest event clips go first, and each event they
showed keeps its row and its snapshot, marked "clip deleted (disk cap)". Only when no clip is left
to delete do the oldest ended events go, row and snapshots together. The database itself (a few
hundred bytes an event) is not counted: deleting rows does not shrink it.

A file being written is never deleted: not one this run's recorders hold (`held`, compared by
identity), nor one another process holds the write lock of (`camapp.outputs.locked`). The continuous
recording's segments have their own cap (`--record-keep-mb`, `camapp.record.segments`) and are not
counted here, even in the same folder.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from camapp.outputs import locked, same_file
from camapp.record.eventstore import EventStore, StoredEvent

log = logging.getLogger("camapp.record")

MB = 1024 * 1024
DISK_CAP = "disk cap"  # why a file went, as the events say
# `camapp.record.events.event_name`, with the `-2` a taken name gets
CLIP_NAME = re.compile(r"\d{8}-\d{6}_[A-Za-z0-9_+-]+\.(mp4|mkv)", re.IGNORECASE)
SNAPSHOTS = "snapshots"


@dataclass
class Pruned:
    """What one pass of the cap did: clips deleted, events deleted, files kept as being written,
    and the bytes counted before and after."""

    clips: list[Path] = field(default_factory=list)
    events: list[StoredEvent] = field(default_factory=list)
    held: list[Path] = field(default_factory=list)
    before: int = 0
    after: int = 0


def clip_files(folder: Path) -> list[Path]:
    """The event clips in `folder`, oldest first (modification time; a finalized clip keeps its own)."""
    found = []
    for p in folder.iterdir():
        if CLIP_NAME.fullmatch(p.name):
            try:
                st = p.stat()
            except OSError:  # deleted meanwhile
                continue
            found.append((st.st_mtime_ns, p.name, p, st.st_size))
    return [p for *_, p, _ in sorted(found)]


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


def folder_bytes(folder: Path) -> tuple[dict[Path, int], int]:
    """(size of each event clip, bytes of all snapshots) in a history's folder."""
    clips = {p: _size(p) for p in clip_files(folder)}
    snaps = 0
    shots = folder / SNAPSHOTS
    if shots.is_dir():
        snaps = sum(_size(p) for p in shots.iterdir() if p.suffix.lower() == ".jpg")
    return clips, snaps


def enforce_cap(store: EventStore, keep_mb: float, held: Iterable[Path] = ()) -> Pruned:
    """Bring `store`'s folder under `keep_mb` MB of event clips and snapshots: the oldest clips
    first (their events marked), then the oldest ended events with their snapshots."""
    limit = keep_mb * MB
    held = list(held)
    clips, snaps = folder_bytes(store.folder)
    done = Pruned(before=sum(clips.values()) + snaps)
    total = done.before
    for clip, size in clips.items():
        if total <= limit:
            break
        if any(same_file(clip, h) for h in held) or locked(clip):
            done.held.append(clip)  # being written or finalized: it goes at a later pass
            continue
        try:
            clip.unlink()
        except FileNotFoundError:
            pass
        except OSError as exc:  # not fatal: the folder just stays over its cap
            log.warning("camapp: cannot remove %s: %s", clip, exc.strerror or exc)
            continue
        total -= size
        done.clips.append(clip)
        store.mark_gone(clip, DISK_CAP)
    # a held clip counts, but no event goes for its sake: it is deleted at a later pass instead
    over = total - sum(clips[h] for h in done.held)
    while over > limit and snaps > 0:
        batch = store.oldest_ended(50)
        if not batch:
            break  # only open events left: their snapshots are not written yet
        gone = []
        for e in batch:
            if over <= limit:
                break
            gone.append(e)
            freed = sum(_size(store.folder / n) for n in (e.snapshot, e.crop) if n)
            total, over, snaps = total - freed, over - freed, snaps - freed
        store.delete(gone)
        done.events += gone
    done.after = max(0, total)
    if done.clips or done.events:
        log.warning(
            "camapp: event history over %g MB: removed %d clip(s) and %d event(s)",
            keep_mb,
            len(done.clips),
            len(done.events),
        )
    return done
