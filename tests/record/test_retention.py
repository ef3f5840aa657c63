"""The event history's disk cap on real files: event clips go oldest first with their events kept and
marked, then the oldest events with their snapshots; a file being written (held by this run, or
locked by another process) is never deleted; the database stays sound."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from camapp.record.eventstore import DB_NAME, MIGRATIONS, EventStore
from camapp.record.history import EventHistory
from camapp.record.retention import DISK_CAP, MB, clip_files, enforce_cap

KB = 1024
T0 = 1_796_600_000.0
CLIP, SHOT, CROP = 200 * KB, 20 * KB, 10 * KB  # 5 events: 1000 KB of clips, 150 KB of snapshots


def history(folder: Path, n: int = 5, open_one: bool = False) -> EventStore:
    """`n` ended events a minute apart, each with its own clip (older clips older on disk) and two
    snapshots; with `open_one`, one more still in view (no end, no snapshot, no clip yet)."""
    store = EventStore(folder / DB_NAME)
    (folder / "snapshots").mkdir(exist_ok=True)
    for i in range(n):
        clip = folder / f"20261207-14{i:02d}00_person.mp4"
        clip.write_bytes(os.urandom(CLIP))
        os.utime(clip, (T0 + 60 * i, T0 + 60 * i))
        row = store.add("cam", "person", i, T0 + 60 * i, 0.7, (1, 2, 3, 4))
        snap, crop = (
            folder / "snapshots" / f"{row:06d}-person.jpg",
            folder / "snapshots" / f"{row:06d}-crop.jpg",
        )
        snap.write_bytes(os.urandom(SHOT))
        crop.write_bytes(os.urandom(CROP))
        store.update(row, ended=T0 + 60 * i + 8, snapshot=snap, crop=crop, clip=clip, clip_offset=3.0)
    if open_one:
        store.add("cam", "dog", None, T0 + 600, 0.6, (1, 2, 3, 4))
    store.commit()
    return store


def test_over_the_cap_the_oldest_clips_go_and_their_events_stay_marked(tmp_path: Path) -> None:
    store = history(tmp_path)
    done = enforce_cap(store, 700 / 1024)  # 700 KB: three clips must go (1150 -> 550 KB)
    assert [p.name for p in done.clips] == [f"20261207-14{i:02d}00_person.mp4" for i in range(3)]
    assert not done.events and done.before == 1150 * KB and done.after == 550 * KB
    assert [p.name for p in clip_files(tmp_path)] == [
        "20261207-140300_person.mp4",
        "20261207-140400_person.mp4",
    ]
    assert [store.get(i).clip_gone for i in range(1, 6)] == [DISK_CAP] * 3 + [None] * 2
    assert store.count() == 5 and all((tmp_path / store.get(i).snapshot).is_file() for i in range(1, 6))
    assert store.get(1).clip == "20261207-140000_person.mp4"  # the name stays: which clip it was
    assert store.integrity() == "ok"


def test_a_folder_exactly_at_the_cap_keeps_everything(tmp_path: Path) -> None:
    store = history(tmp_path)
    done = enforce_cap(store, 1150 / 1024)
    assert not done.clips and not done.events and len(clip_files(tmp_path)) == 5
    done = enforce_cap(store, 1149 / 1024)  # a KB less: the oldest clip goes
    assert [p.name for p in done.clips] == ["20261207-140000_person.mp4"]


def test_with_every_clip_gone_the_oldest_events_go_with_their_snapshots_never_an_open_one(
    tmp_path: Path,
) -> None:
    store = history(tmp_path, open_one=True)
    done = enforce_cap(store, 100 / 1024)  # 100 KB: all clips (1000 KB) and then 2 events' 30 KB each
    assert len(done.clips) == 5 and [e.id for e in done.events] == [1, 2]
    assert done.after == 90 * KB
    assert sorted(p.name for p in (tmp_path / "snapshots").iterdir())[:2] == [
        "000003-crop.jpg",
        "000003-person.jpg",
    ]
    assert [e.id for e in store.list(oldest_first=True)] == [3, 4, 5, 6]  # 6: open, never pruned
    assert enforce_cap(store, 0.001).events[-1].id == 5 and [e.id for e in store.list()] == [6]
    assert store.integrity() == "ok"
    store.close()
    reopened = EventStore(tmp_path / DB_NAME, readonly=True)
    assert reopened.integrity() == "ok" and reopened.count() == 1


def locker(path: Path):
    """Another process that holds `path`'s write lock, as a recording camapp does."""
    code = textwrap.dedent(
        f"""
        import fcntl, sys
        f = open({str(path)!r}, "rb")
        fcntl.flock(f.fileno(), fcntl.LOCK_EX)
        print("locked", flush=True)
        sys.stdin.read()
        """
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", code], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    assert proc.stdout is not None and proc.stdout.readline().strip() == "locked"
    return proc


def test_files_being_written_are_never_deleted(tmp_path: Path) -> None:
    """Clip 1 is this run's clip being finalized (named through another spelling: compared by
    identity), clip 2 is locked by another process: both stay, newer clips go instead."""
    store = history(tmp_path)
    clips = clip_files(tmp_path)
    (tmp_path / "alias").symlink_to(tmp_path)
    held = tmp_path / "alias" / ".." / tmp_path.name / clips[0].name
    proc = locker(clips[1])
    try:
        done = enforce_cap(store, 700 / 1024, held=[held])
    finally:
        proc.communicate("")
    assert clips[0].exists() and clips[1].exists()
    assert [p.name for p in done.held] == [clips[0].name, clips[1].name]
    assert [p.name for p in done.clips] == [c.name for c in clips[2:]]
    assert [store.get(i).clip_gone for i in range(1, 6)] == [None, None, DISK_CAP, DISK_CAP, DISK_CAP]
    assert done.after == 550 * KB and not done.events  # held clips count, but no event goes for them
    assert store.integrity() == "ok"


def test_a_held_clip_larger_than_the_cap_costs_no_event(tmp_path: Path) -> None:
    store = history(tmp_path)
    clips = clip_files(tmp_path)
    done = enforce_cap(store, 160 / 1024, held=[clips[-1]])  # 160 KB < the 200 KB clip being written
    assert len(done.clips) == 4 and clips[-1].exists() and not done.events and store.count() == 5


def test_mark_gone_marks_clips_and_recordings_once(tmp_path: Path) -> None:
    store = history(tmp_path, n=2)
    seg = tmp_path / "cam-20261207-140000.mp4"
    store.update(1, recording=seg, recording_offset=12.5)
    store.update(2, recording=seg, recording_offset=72.5)
    store.commit()
    assert store.get(1).recording == seg.name  # relative, as the other files
    assert store.mark_gone(seg, DISK_CAP) == 2
    assert store.mark_gone(seg, "by hand") == 0  # the first reason stays
    assert [store.get(i).recording_gone for i in (1, 2)] == [DISK_CAP, DISK_CAP]
    assert store.get(1).clip_gone is None


def test_a_version_1_database_gains_the_new_columns_and_keeps_its_rows(tmp_path: Path) -> None:
    import sqlite3

    db = sqlite3.connect(tmp_path / DB_NAME)
    db.executescript(f"BEGIN; {MIGRATIONS[0]}; PRAGMA user_version = 1; COMMIT;")
    db.execute(
        "INSERT INTO events (camera, label, started, ended, top_score, box, clip, clip_offset)"
        " VALUES ('cam', 'person', 1.0, 2.0, 0.5, '[1,2,3,4]', 'c.mp4', 1.5)"
    )
    db.commit()
    db.close()
    store = EventStore(tmp_path / DB_NAME)
    assert store.version == len(MIGRATIONS) == 2
    e = store.get(1)
    assert (e.clip, e.clip_offset, e.recording, e.clip_gone) == ("c.mp4", 1.5, None, None)
    assert store.integrity() == "ok"


def test_the_history_keeps_its_cap_when_it_opens_and_marks_what_the_recording_cap_deleted(
    tmp_path: Path,
) -> None:
    store = history(tmp_path)
    seg = tmp_path / "cam-20261207-140000.mp4"
    store.update(5, recording=seg, recording_offset=4.0)
    store.close()
    with pytest.raises(Exception, match="positive number of MB"):
        EventHistory(tmp_path, "cam", keep_mb=0)
    clips = clip_files(tmp_path)
    h = EventHistory(tmp_path, "cam", keep_mb=700 / 1024, held=lambda: [clips[0]])
    assert h.error is None and h.capped_clips == 3 and clips[0].exists() and not clips[1].exists()
    h.forget([seg])
    h.close()
    after = EventStore(tmp_path / DB_NAME, readonly=True)
    assert after.get(5).recording_gone == DISK_CAP and after.get(1).clip_gone is None
    assert [after.get(i).clip_gone for i in (2, 3, 4)] == [DISK_CAP] * 3
    assert after.integrity() == "ok"
    assert sum(p.stat().st_size for p in clip_files(tmp_path)) == 2 * CLIP  # clips 1 and 5
    assert MB == 2**20
