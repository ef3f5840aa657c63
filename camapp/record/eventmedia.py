"""What an event of the history plays, as the browser view and the desktop app both decide it.

An event plays its event clip from `clip_offset`; without one (no `--record-on`, or the clip was
deleted by a disk cap) the continuous recording's file from `recording_offset`. A recording file
that is still a fragmented MP4 is the segment being written (or one a crash left unfinished):
browsers cannot seek in it, so it is not offered until it closes and is finalized. When nothing
plays, `note` says why in words a user can act on.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from camapp.record.eventstore import StoredEvent
from camapp.record.finalize import mp4_kind

CLIP, RECORDING = "clip", "recording"
IN_PROGRESS = "recording in progress, available when the segment closes"
NO_CLIP = "no clip shows this event"


@dataclass(frozen=True)
class Media:
    """`kind` (clip or recording) and its file and offset, or None with `note` saying why."""

    kind: str | None
    path: Path | None
    offset: float
    note: str

    @property
    def playable(self) -> bool:
        return self.kind is not None


def writing(path: Path) -> bool:
    """An .mp4 still fragmented: being recorded (or cut short by a crash); not seekable yet."""
    if path.suffix.lower() != ".mp4":
        return False  # Matroska is seekable as written
    try:
        return mp4_kind(path) == "fragmented"
    except OSError:
        return False


def media(e: StoredEvent, folder: Path) -> Media:
    """What event `e` of the history in `folder` plays (reads the disk: a worker thread's call)."""
    notes: list[str] = []
    if e.clip:
        path = folder / e.clip
        if e.clip_gone is None and path.is_file():
            return Media(CLIP, path, e.clip_offset or 0.0, "")
        notes.append(f"clip deleted ({e.clip_gone})" if e.clip_gone else "clip deleted")
    if e.recording:
        path = folder / e.recording
        if e.recording_gone is None and path.is_file():
            if not writing(path):
                return Media(RECORDING, path, e.recording_offset or 0.0, "")
            notes.insert(0, IN_PROGRESS)
        else:
            why = f" ({e.recording_gone})" if e.recording_gone else ""
            notes.append(f"recording deleted{why}")
    return Media(None, None, 0.0, "; ".join(notes) or NO_CLIP)
