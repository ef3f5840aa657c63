"""A real event history for the Events panels' tests (the desktop app's dock, the browser view's
routes): an SQLite database written by `EventStore`, JPEGs cut from the person clip's first
frame, and a copy of the clip for the events that have one."""

from __future__ import annotations

import shutil
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import cv2
from conftest import PERSON_CLIP, need

from camapp.record.eventstore import DB_NAME, EventStore

BOX = (10, 20, 110, 220)  # every event's box; its crop is this part of the frame


@dataclass(frozen=True)
class Past:
    """One event to write: `ended` None while it is open; the frame as its `snapshot`, the box
    as its `crop` (a thumbnail), and the clip from `clip_offset` seconds (None: no clip)."""

    label: str
    started: float
    score: float
    zones: tuple[str, ...] = ()
    ended: float | None = None
    snapshot: bool = False
    crop: bool = True
    clip_offset: float | None = None


def write_history(folder: Path, events: Iterable[Past], camera: str = "cam") -> None:
    """The events, in order (the i-th with track id i), into `folder`'s history."""
    cap = cv2.VideoCapture(str(need(PERSON_CLIP)))
    ok, frame = cap.read()
    cap.release()
    assert ok
    (folder / "snapshots").mkdir(parents=True)
    shutil.copy(PERSON_CLIP, folder / "clip.mp4")
    store = EventStore(folder / DB_NAME)
    for i, e in enumerate(events):
        row = store.add(camera, e.label, i, e.started, e.score, BOX, e.zones)
        fields: dict[str, object] = {}
        if e.ended is not None:
            fields["ended"] = e.ended
        if e.snapshot:
            fields["snapshot"] = folder / "snapshots" / f"{row:06d}.jpg"
            cv2.imwrite(str(fields["snapshot"]), frame)
        if e.crop:
            fields["crop"] = folder / "snapshots" / f"{row:06d}-crop.jpg"
            x0, y0, x1, y1 = BOX
            cv2.imwrite(str(fields["crop"]), frame[y0:y1, x0:x1])
        if e.clip_offset is not None:
            fields.update(clip=folder / "clip.mp4", clip_offset=e.clip_offset)
        store.update(row, **fields)
    store.commit()
    store.close()
