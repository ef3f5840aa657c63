"""The continuous recording tells which of its files shows each object's start, and from how far in:
real frames of the person clip (each carrying its index, `tests/record/marks.py`) into a segmented
recording; the frame found at the offset in that file is the object's first sighting."""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path

import av
import pytest
from conftest import PERSON_CLIP, need

from camapp.pipeline.objects import START, ObjectEvent, ObjectInfo
from camapp.record import Segments, VideoRecorder
from camapp.record.video import _locate
from tests.record.marks import index_of, marked

FPS = 10


def started(oid: int, first: int, now: int) -> ObjectEvent:
    """Object `oid` first seen on frame `first`, its start event on frame `now` (as a tracker that
    confirms on a later frame)."""
    box = (10.0, 20.0, 110.0, 220.0)
    return ObjectEvent(
        START, oid, "person", 0.7, box, 0.7, box, first / FPS, now / FPS, now / FPS, now, 1e9 + now / FPS
    )


def with_objects(results, at: dict[int, list[ObjectEvent]]):
    for i, r in enumerate(results):
        yield dataclasses.replace(r, objects=ObjectInfo(tuple(at.get(i, ()))))


def frame_at(path: Path, offset: float) -> int:
    """The index drawn into the frame shown at `offset` seconds (the last frame at or before it)."""
    shown = None
    with av.open(str(path)) as c:
        for frame in c.decode(video=0):
            if float(frame.pts * frame.time_base) > offset + 1e-3:
                break
            shown = index_of(frame.to_ndarray(format="bgr24"))
    assert shown is not None
    return shown


def test_each_start_is_placed_in_the_file_and_at_the_offset_that_shows_it(tmp_path, clip_results) -> None:
    at = {
        5: [started(1, 4, 5)],  # in the first file
        21: [started(2, 19, 21)],  # seen first in the first file, confirmed in the second
        40: [started(3, 40, 40)],  # the first frame of the third file
        47: [started(4, 45, 47)],
    }
    links: list[tuple[int, Path, float]] = []
    base = tmp_path / "cam.mp4"
    rec = VideoRecorder(
        base,
        queue_size=0,
        segments=Segments(base, seconds=2),
        on_link=lambda *a: links.append(a),
    )
    for r in with_objects(marked(clip_results(need(PERSON_CLIP), 60)), at):
        rec.submit(r)
    rec.close()
    assert rec.error is None and len(rec.files) == 3
    placed = {oid: (rec.files.index(path), offset) for oid, path, offset in links}
    assert placed == {1: (0, 0.4), 2: (0, 1.9), 3: (2, 0.0), 4: (2, 0.5)}
    for oid, path, offset in links:  # the frame a player shows there is the first sighting
        assert frame_at(path, offset) == at_first(at, oid)


def at_first(at: dict[int, list[ObjectEvent]], oid: int) -> int:
    e = next(e for evs in at.values() for e in evs if e.id == oid)
    return round(e.start * FPS)


def test_locate_picks_the_file_a_time_falls_in_and_the_next_one_after_a_gap() -> None:
    a, b, c = Path("a.mp4"), Path("b.mp4"), Path("c.mp4")
    spans = [(a, 0.0, 1.9), (b, 2.0, 3.9), (c, 6.0, 7.0)]  # a pause from 3.9 to 6.0
    assert _locate(spans, 0.0) == (a, 0.0)
    assert _locate(spans, 1.9) == (a, 1.9)  # a's last frame
    assert _locate(spans, 1.95) == (b, 0.0)  # after a's last frame: b's first shows it first
    assert _locate(spans, 2.0) == (b, 0.0)  # exactly a file's first frame: that file
    assert _locate(spans, 4.5) == (c, 0.0)  # in the pause: what came right after
    assert _locate(spans, 6.5) == (c, 0.5)
    assert _locate(spans, -3.0) == (a, 0.0)  # before the recording began: its start


def test_the_cap_says_which_files_it_deleted(tmp_path, clip_results) -> None:
    old = tmp_path / "cam-20200101-000000.mp4"
    old.write_bytes(b"o" * 200_000)
    os.utime(old, (1_600_000_000, 1_600_000_000))
    pruned: list[Path] = []
    base = tmp_path / "cam.mp4"
    rec = VideoRecorder(
        base,
        queue_size=0,
        segments=Segments(base, seconds=1, keep_mb=0.1),
        on_pruned=pruned.extend,
    )
    for r in clip_results(need(PERSON_CLIP), 25):
        rec.submit(r)
    rec.close()
    assert rec.error is None and not old.exists()
    assert pruned[0] == old and all(not p.exists() for p in pruned)
    assert rec.files[-1] not in pruned  # the file being written never is


@pytest.mark.parametrize("queue", [0, 16])
def test_without_a_listener_nothing_is_noted(tmp_path, clip_results, queue) -> None:
    base = tmp_path / "cam.mp4"
    rec = VideoRecorder(base, queue_size=queue)
    for r in with_objects(clip_results(need(PERSON_CLIP), 5), {2: [started(1, 1, 2)]}):
        rec.submit(r)
    rec.close()
    assert rec.error is None and rec._starts == {} and rec.held() == []


def test_a_start_on_a_frame_the_queue_dropped_is_placed_all_the_same(tmp_path, clip_results) -> None:
    """The queue is made to refuse frames 5-7 (as when full): the object that started on frame 6,
    first seen on frame 5, is placed with the next frame written, at frame 5's time."""
    import queue

    links: list[tuple[int, Path, float]] = []
    base = tmp_path / "cam.mp4"
    rec = VideoRecorder(base, queue_size=0, on_link=lambda *a: links.append(a))
    real_put = rec._queue.put_nowait
    refuse = {5, 6, 7}

    def put(item):
        if item.frame.index in refuse:
            raise queue.Full
        real_put(item)

    rec._queue.put_nowait = put
    for r in with_objects(marked(clip_results(need(PERSON_CLIP), 12)), {6: [started(1, 5, 6)]}):
        rec.submit(r)
    rec.close()
    assert rec.error is None and rec.dropped == 3 and rec.frames_written == 9
    assert links == [(1, base, 0.5)]
