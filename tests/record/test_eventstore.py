"""The event history: EventStore (SQLite, versioned schema, queries, pruning) and EventHistory
(object events -> rows + JPEG snapshots) on real frames of the person clip."""

from __future__ import annotations

import dataclasses
import sqlite3
import time

import cv2
import pytest
from conftest import PERSON_CLIP, need

from camapp.errors import CamappError
from camapp.pipeline.objects import END, START, UPDATE, ObjectEvent, ObjectInfo
from camapp.record import eventstore
from camapp.record.eventstore import DB_NAME, MIGRATIONS, EventStore
from camapp.record.history import EventHistory
from camapp.record.retention import DISK_CAP
from camapp.types import Detections

T0 = 1_796_600_000.0  # seconds since the epoch, a December 2026 evening


def filled(tmp_path, n=6):
    """Events i = 0..n-1: person/dog alternating, started T0 + 10 i, ended 5 s later (the last open)."""
    store = EventStore(tmp_path / DB_NAME)
    for i in range(n):
        label = "person" if i % 2 == 0 else "dog"
        row = store.add("cam", label, i, T0 + 10 * i, 0.5 + i / 100, (1, 2, 3, 4), ("door",) if i < 3 else ())
        if i < n - 1:
            store.update(row, ended=T0 + 10 * i + 5, lines=("door up",))
    store.commit()
    return store


def test_a_new_store_is_at_the_latest_version_in_wal_mode(tmp_path):
    store = EventStore(tmp_path / "a" / DB_NAME)
    assert store.version == len(MIGRATIONS) and store.count() == 0
    assert store._db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert store.integrity() == "ok"
    store.close()
    assert EventStore(tmp_path / "a" / DB_NAME, readonly=True).version == len(MIGRATIONS)


def test_rows_round_trip_and_lists_filter_and_page(tmp_path):
    store = filled(tmp_path)
    e = store.get(1)
    assert (e.camera, e.label, e.track_id, e.started, e.ended) == ("cam", "person", 0, T0, T0 + 5)
    assert e.box == (1, 2, 3, 4) and e.zones == ("door",) and e.lines == ("door up",)
    assert e.snapshot is None and e.clip is None and store.get(99) is None
    assert [x.id for x in store.list()] == [6, 5, 4, 3, 2, 1]  # newest first
    assert [x.id for x in store.list(label="dog")] == [6, 4, 2]
    assert [x.id for x in store.list(zone="door")] == [3, 2, 1]
    assert [x.id for x in store.list(zone="door", label="dog")] == [2]
    assert [x.id for x in store.list(since=T0 + 20)] == [6, 5, 4, 3]  # a start exactly at `since` counts
    assert [x.id for x in store.list(since=T0 + 20.001)] == [6, 5, 4]
    assert [x.id for x in store.list(limit=2, offset=2)] == [4, 3]
    assert [x.id for x in store.iter(label="person")] == [1, 3, 5]  # oldest first
    assert store.get(6).ended is None  # still open


def test_prune_deletes_ended_events_and_their_snapshots_never_open_ones(tmp_path):
    store = filled(tmp_path)
    snap = tmp_path / "snapshots" / "000001-person.jpg"
    snap.parent.mkdir()
    snap.write_bytes(b"jpeg")
    store.update(1, snapshot=snap)
    store.commit()
    assert store.get(1).snapshot == "snapshots/000001-person.jpg"  # relative to the database's folder
    gone = store.prune(before=T0 + 25)  # events 1 and 2 ended at T0+5 and T0+15; 3 ended at T0+25 exactly
    assert [e.id for e in gone] == [1, 2] and not snap.exists()
    assert [x.id for x in store.list()] == [6, 5, 4, 3]
    assert [e.id for e in store.prune(before=T0 + 1e6)] == [3, 4, 5] and [x.id for x in store.list()] == [6]


def test_a_migration_step_upgrades_an_old_database_and_keeps_its_rows(tmp_path, monkeypatch):
    filled(tmp_path).close()
    extra = "ALTER TABLE events ADD COLUMN note TEXT"
    monkeypatch.setattr(eventstore, "MIGRATIONS", (*MIGRATIONS, extra))
    with pytest.raises(CamappError, match="older version"):
        EventStore(tmp_path / DB_NAME, readonly=True)  # a reader never changes the file
    store = EventStore(tmp_path / DB_NAME)
    assert store.version == len(MIGRATIONS) + 1 and store.count() == 6
    assert "note" in [r[1] for r in store._db.execute("PRAGMA table_info(events)")]


def test_bad_databases_are_one_line(tmp_path):
    newer = tmp_path / "newer"
    store = EventStore(newer / DB_NAME)
    store._db.execute("PRAGMA user_version = 99")
    store.close()
    with pytest.raises(CamappError, match="version 99, newer than this camapp"):
        EventStore(newer / DB_NAME)
    junk = tmp_path / "junk"
    junk.mkdir()
    (junk / DB_NAME).write_bytes(b"not a database at all, " * 100)
    with pytest.raises(CamappError) as exc:
        EventStore(junk / DB_NAME)
    assert str(exc.value).startswith(f"event history {junk / DB_NAME}: ") and "\n" not in str(exc.value)
    with pytest.raises(CamappError, match="no event history"):
        EventStore(tmp_path / "none" / DB_NAME, readonly=True)


def test_a_locked_database_is_one_line_for_the_history_and_the_run_goes_on(tmp_path):
    filled(tmp_path).close()
    holder = sqlite3.connect(tmp_path / DB_NAME)
    holder.execute("PRAGMA locking_mode = EXCLUSIVE")
    holder.execute("BEGIN EXCLUSIVE")
    errors = []
    history = EventHistory(tmp_path, "cam", on_error=errors.append)
    try:
        assert history.error is not None and "database is locked" in history.error
        assert errors == [history.error] and not history.running
    finally:
        history.close()
        holder.close()


def event(kind, oid, i, start_i, score, box, wall0=T0, **kw):
    return ObjectEvent(
        kind,
        oid,
        "person",
        score,
        box,
        max(score, kw.pop("top", score)),
        kw.pop("top_box", box),
        start_i / 10,
        kw.pop("last", i) / 10,
        i / 10,
        i,
        wall0 + i / 10,
        kw.pop("track_id", None),
        **kw,
    )


def carrying(result, events):
    """`result` with no boxes of its own, carrying these object events (as the objects stage adds them)."""
    return dataclasses.replace(result, detections=Detections.empty(), objects=ObjectInfo(tuple(events), 5.0))


def test_history_stores_each_object_with_its_best_frame_as_snapshots(tmp_path, clip_results):
    """Object events on real frames: the row follows start/update/end, the snapshot is the frame
    of the best score, the crop holds the box (with a margin), the clip link lands on its row."""
    results = list(clip_results(need(PERSON_CLIP), 40, start=100))
    box_a, box_b = (300.0, 80.0, 420.0, 400.0), (320.0, 90.0, 440.0, 300.0)
    events_at = {
        2: [event(START, 1, 2, 2, 0.6, box_a)],
        5: [event(UPDATE, 1, 5, 2, 0.9, box_b, entered=("table",), zones=("table",))],
        9: [
            event(
                UPDATE, 1, 9, 2, 0.7, box_a, top=0.9, top_box=box_b, entered=("table",), crossed=("door up",)
            )
        ],
        30: [
            event(
                END,
                1,
                30,
                2,
                0.7,
                box_a,
                top=0.9,
                top_box=box_b,
                last=20,
                entered=("table",),
                crossed=("door up",),
            )
        ],
        31: [event(START, 2, 31, 31, 0.5, box_a)],  # still in view when the run ends
    }
    fed = [carrying(r, events_at.get(i, ())) for i, r in enumerate(results)]
    history = EventHistory(tmp_path, "door-cam")
    history.link(1, tmp_path / "clip.mp4", 2.5)  # before its start is stored: kept until it is
    for r in fed:
        history.submit(r)
    history.close()
    assert history.error is None and history.saved == 2 and history.report().frames == 2
    store = EventStore(tmp_path / DB_NAME, readonly=True)
    first, second = store.list(oldest_first=True)
    assert (first.camera, first.label, first.top_score, first.box) == ("door-cam", "person", 0.9, box_b)
    assert first.started == pytest.approx(T0 + 0.2) and first.ended == pytest.approx(T0 + 2.0)
    assert first.zones == ("table",) and first.lines == ("door up",)
    assert (first.clip, first.clip_offset) == ("clip.mp4", 2.5)
    assert second.ended == pytest.approx(T0 + 3.1) and second.clip is None  # ended at its last sighting
    full = cv2.imread(str(tmp_path / first.snapshot))
    crop = cv2.imread(str(tmp_path / first.crop))
    assert full.shape == results[5].frame.image.shape  # the frame of the best score (0.9, frame 5)
    x0, y0, x1, y1 = (int(v) for v in box_b)
    inside = (slice(y0 + 4, y1 - 4), slice(x0 + 4, x1 - 4))
    best = cv2.absdiff(full[inside], results[5].frame.image[inside]).mean()
    assert best < 4 and best < cv2.absdiff(full[inside], results[30].frame.image[inside]).mean()
    assert crop.shape[:2] == (
        y1 - y0 + 2 * int((y1 - y0) * 0.15) + 1,
        x1 - x0 + 2 * int((x1 - x0) * 0.15) + 1,
    )
    assert first.snapshot.startswith("snapshots/") and first.crop.endswith("-crop.jpg")


def test_history_prunes_events_past_their_age_when_it_opens(tmp_path):
    import time

    now = time.time()
    store = EventStore(tmp_path / DB_NAME)
    snap = tmp_path / "snapshots" / "000001-dog.jpg"
    snap.parent.mkdir()
    snap.write_bytes(b"jpeg")
    old = store.add("cam", "dog", None, now - 10 * 86400, 0.7, (1, 2, 3, 4))
    store.update(old, ended=now - 10 * 86400 + 5, snapshot=snap)
    recent = store.add("cam", "dog", None, now - 86400, 0.7, (1, 2, 3, 4))
    store.update(recent, ended=now - 86400 + 5)
    store.add("cam", "cat", None, now - 30 * 86400, 0.7, (1, 2, 3, 4))  # never ended: never pruned
    store.close()
    with pytest.raises(CamappError, match="positive number of days"):
        EventHistory(tmp_path, "cam", keep_days=0)
    history = EventHistory(tmp_path, "cam", keep_days=2)
    history.close()
    assert history.error is None and history.pruned == 1 and not snap.exists()
    left = EventStore(tmp_path / DB_NAME, readonly=True).list()
    assert sorted(e.label for e in left) == ["cat", "dog"] and old not in [e.id for e in left]


def test_pages_go_by_id_newest_first_and_facets_list_labels_and_zones(tmp_path):
    store = filled(tmp_path)
    assert [x.id for x in store.page(limit=4)] == [6, 5, 4, 3]
    assert [x.id for x in store.page(before=3, limit=4)] == [2, 1]
    assert [x.id for x in store.page(before=1)] == []
    assert [x.id for x in store.page(label="dog", before=6)] == [4, 2]
    assert [x.id for x in store.page(zone="door", since=T0 + 10, until=T0 + 20)] == [2]  # until excludes
    assert store.facets() == (["dog", "person"], ["door"])
    store.close()


def test_a_recording_linked_after_its_start_was_stored_and_then_capped_is_marked(tmp_path, clip_results):
    """The session links an object to the continuous recording's file after the history stored the
    object's start; the cap deletes that file before the object ends. The link is stored before
    the mark, so the event says its recording is gone instead of pointing at a missing file."""
    results = list(clip_results(need(PERSON_CLIP), 3, start=100))
    box = (300.0, 80.0, 420.0, 400.0)
    history = EventHistory(tmp_path, "door-cam")
    history.submit(carrying(results[0], [event(START, 1, 0, 0, 0.6, box)]))
    reader = EventStore(tmp_path / DB_NAME, readonly=True)
    for _ in range(500):  # the start is stored (the worker committed it) before the link comes
        if reader.count() == 1:
            break
        time.sleep(0.01)
    assert reader.count() == 1
    seg = tmp_path / "cam-20261207-140000_2.mp4"
    history.link_recording(1, seg, 0.3)
    history.forget([seg])
    history.submit(carrying(results[2], [event(END, 1, 2, 0, 0.6, box)]))
    history.close()
    assert history.error is None and history.saved == 1
    e = reader.get(1)
    assert (e.recording, e.recording_offset, e.recording_gone) == (seg.name, 0.3, DISK_CAP)
    assert reader.integrity() == "ok"
