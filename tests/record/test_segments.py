"""VideoRecorder with `Segments`: cuts by frame time and size, keyframes at cuts, no frame lost or
repeated, pruning of the oldest files, write errors.

Frames are the real person clip's; to tell decoded frames apart where the clip stands still, each
one carries its index drawn into its top-left corner (`tests/record/marks.py`).
"""

from __future__ import annotations

import logging
import os
import re
import shutil
import threading
import time

import av
import numpy as np
import pytest
from conftest import PERSON_CLIP, need

from camapp.errors import CamappError
from camapp.record import Segments, VideoRecorder
from camapp.record.segments import MB
from tests.record.marks import index_of, marked

NAME = re.compile(r"out-\d{8}-\d{6}(_\d+)?\.(mp4|mkv)")


def read_segment(path):
    """(frame indices read from the marks, frame times, keyframe flags, payload bytes) of one file."""
    with av.open(str(path)) as c:
        packets = [(p.is_keyframe, p.size) for p in c.demux(video=0) if p.size]
    indices, times = [], []
    with av.open(str(path)) as c:
        for frame in c.decode(video=0):
            indices.append(index_of(frame.to_ndarray(format="bgr24")))
            times.append(float(frame.pts * frame.time_base))
    return indices, times, [k for k, _ in packets], [s for _, s in packets]


def record(base, results, keyint=1.0, **seg):
    rec = VideoRecorder(base, queue_size=0, keyint=keyint, segments=Segments(base, **seg))
    for r in results:
        rec.submit(r)
    rec.close()
    assert rec.error is None
    return rec


@pytest.mark.parametrize("ext", [".mp4", ".mkv"])
def test_cut_by_frame_time_loses_and_repeats_nothing(tmp_path, clip_results, ext):
    """100 frames at 10 fps in 3 s segments: 30/30/30/10, each starting with a keyframe although
    the encoder's own keyframe interval (100 s) would give none, and frame i+1 after frame i."""
    rec = record(
        tmp_path / f"out{ext}", marked(clip_results(need(PERSON_CLIP), 100)), keyint=100.0, seconds=3
    )
    assert len(rec.files) == 4 and rec.frames_written == 100
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(p.name for p in rec.files)
    assert all(NAME.fullmatch(p.name) for p in rec.files), rec.files
    decoded = [read_segment(p) for p in rec.files]
    assert [len(ix) for ix, *_ in decoded] == [30, 30, 30, 10]
    assert [i for ix, *_ in decoded for i in ix] == list(range(100))  # continuous across every cut
    for _, times, keys, _ in decoded:
        assert keys[0] and sum(keys) == 1  # a keyframe at the cut, and only there
        assert times[0] == 0.0 and np.allclose(np.diff(times), 0.1, atol=0.002)
    assert rec.elapsed == pytest.approx(9.9, abs=0.01)  # all segments: frame time is one clock


def test_cut_by_size_ends_a_file_at_the_first_frame_over_the_limit(tmp_path, clip_results):
    limit = 0.06
    rec = record(tmp_path / "out.mp4", marked(clip_results(need(PERSON_CLIP), 60)), max_mb=limit)
    assert len(rec.files) >= 2
    decoded = [read_segment(p) for p in rec.files]
    assert [i for ix, *_ in decoded for i in ix] == list(range(60))
    for _, _, keys, sizes in decoded[:-1]:
        assert keys[0]
        assert sum(sizes[:-1]) < limit * MB <= sum(sizes)
    assert decoded[-1][2][0] and sum(decoded[-1][3]) < limit * MB + max(decoded[-1][3])


def test_time_or_size_whichever_comes_first(tmp_path, clip_results):
    rec = record(tmp_path / "out.mkv", clip_results(need(PERSON_CLIP), 40), seconds=1.5, max_mb=10)
    assert [read_segment(p)[0].__len__() for p in rec.files] == [15, 15, 10]


def test_keep_mb_deletes_the_oldest_never_the_current(tmp_path, clip_results, monkeypatch):
    held = []  # per cut: the files still waiting for their finalize, which pruning keeps
    real_prune = Segments.prune

    def prune(self, at_least=0, room=0, may_delete=None):
        kept = set()

        def asked(p):
            ok = may_delete is None or may_delete(p)
            if not ok:
                kept.add(p)
            return ok

        held.append(kept)
        return real_prune(self, at_least, room, asked)

    monkeypatch.setattr(Segments, "prune", prune)
    rec_dir = tmp_path / "rec"
    rec_dir.mkdir()
    old = []
    for i in range(3):  # an earlier run's segments (the old wrapper's collision suffix too)
        f = rec_dir / (f"out-2020010{i + 1}-000000" + ("-1" if i == 2 else "") + ".mp4")
        f.write_bytes(b"o" * 40_000)
        os.utime(f, (1_600_000_000 + i, 1_600_000_000 + i))
        old.append(f)
    others = [rec_dir / "notes.txt", rec_dir / "out.mp4", rec_dir / "outdoor-20200101-000000.mp4"]
    for f in others:
        f.write_bytes(b"n" * 200_000)  # not this pattern: never touched
        os.utime(f, (1_500_000_000, 1_500_000_000))
    cap = 0.1  # 104 857 bytes
    rec = record(rec_dir / "out.mp4", clip_results(need(PERSON_CLIP), 40), seconds=1, keep_mb=cap)
    assert not old[0].exists() and not old[1].exists()  # oldest first
    assert all(f.exists() for f in others)
    assert rec.files[-1].exists()
    kept = Segments(rec_dir / "out.mp4", seconds=1).files()
    assert kept[-1] == rec.files[-1]
    # after each cut the pattern's files fit the cap, but for one being finalized at that cut
    # (kept, to go at a later cut); the last file has grown since its cut
    assert sum(f.stat().st_size for f in kept[:-1] if f not in held[-1]) <= cap * MB
    assert all(
        len(h) <= 1 for h in held
    )  # one finalize runs at a time    assert set(kept) <= set(rec.files) | {old[2]}


def test_a_file_that_cannot_be_removed_is_skipped_with_a_warning(tmp_path, clip_results, caplog):
    """The oldest "segment" is a non-empty directory, which unlink() refuses (a real OS error):
    pruning says so, removes the next oldest instead, and the recording goes on."""
    stuck = tmp_path / "out-20200101-000000.mp4"
    (stuck / "inside").mkdir(parents=True)
    os.utime(stuck, (1_500_000_000, 1_500_000_000))
    older = tmp_path / "out-20200102-000000.mp4"
    older.write_bytes(b"o" * 300_000)
    os.utime(older, (1_600_000_000, 1_600_000_000))
    with caplog.at_level(logging.WARNING, logger="camapp.record"):
        rec = record(tmp_path / "out.mp4", clip_results(need(PERSON_CLIP), 15), seconds=1, keep_mb=0.2)
    assert stuck.is_dir() and not older.exists() and all(p.exists() for p in rec.files)
    assert f"camapp: cannot remove {stuck}: Is a directory" in caplog.text
    assert f"camapp: removed {older} (recordings over 0.2 MB)" in caplog.text


def test_first_file_named_at_the_first_frame_and_unwritable_folder_fails_at_once(tmp_path, clip_results):
    rec = VideoRecorder(tmp_path / "out.mp4", segments=Segments(tmp_path / "out.mp4", seconds=5))
    assert rec.error is None and rec.files == [] and list(tmp_path.iterdir()) == []
    rec.close()  # nothing recorded: no file left behind
    assert list(tmp_path.iterdir()) == [] and "no frame was recorded" in (rec.error or "")  # never "ok"
    missing = VideoRecorder(
        tmp_path / "nope" / "out.mp4", segments=Segments(tmp_path / "nope" / "out.mp4", 5)
    )
    assert missing.error is not None and not missing.running
    assert missing.error.endswith(
        f"cannot write {tmp_path / 'nope' / 'out-*.mp4'}: No such file or directory"
    )


def test_folder_gone_at_a_cut_stops_recording_with_one_message(tmp_path, clip_results):
    """The folder is removed mid-run (an unplugged USB disk): the next cut cannot open its file;
    the recorder reports once and the caller goes on submitting."""
    folder = tmp_path / "usb"
    folder.mkdir()
    messages: list[str] = []
    rec = VideoRecorder(
        folder / "out.mp4", queue_size=0, on_error=messages.append, segments=Segments(folder / "out.mp4", 1)
    )
    results = list(clip_results(need(PERSON_CLIP), 25))
    for r in results[:5]:
        rec.submit(r)
    deadline = time.monotonic() + 30
    while rec.frames_written < 5 and time.monotonic() < deadline:
        time.sleep(0.01)
    shutil.rmtree(folder)
    for r in results[5:]:
        rec.submit(r)
    rec.close()
    assert messages == [rec.error]
    assert rec.error == f"recording {folder / 'out-*.mp4'} stopped: No such file or directory"
    assert rec.frames_written == 10 and not rec.running  # the open file took frames up to the cut


@pytest.mark.parametrize(
    "kw,message",
    [
        ({"seconds": 0}, "seconds must be positive"),
        ({"seconds": -1}, "seconds must be positive"),
        ({"max_mb": float("nan")}, "max_mb must be positive"),
        ({"seconds": 1, "keep_mb": 0}, "keep_mb must be positive"),
        ({"keep_mb": 5}, "a length in seconds or a size in MB"),
        ({"max_mb": 500, "keep_mb": 100}, "smaller than one segment .* delete every finished file"),
    ],
)
def test_bad_segment_settings(tmp_path, kw, message):
    with pytest.raises(CamappError, match=message):
        Segments(tmp_path / "out.mp4", **kw)
    with pytest.raises(CamappError, match=r"\.mp4.*\.mkv"):
        Segments(tmp_path / "out.avi", seconds=1)


def test_pruning_and_finalizing_agree(tmp_path, clip_results, monkeypatch, caplog):
    """docs/recording.md's `--record-keep-mb 0.05` (with 1 s segments), the finalizer behind: the
    first cut file's finalize starts only once four files exist, as on a loaded machine. Every cut
    prunes meanwhile: the file being finalized is kept (and finalized), files only queued may go
    (their finalize dropped quietly), no file is named as needing a fix, no traceback, and none
    reported as removed is left."""
    from camapp.record import finalize as fin

    real_check = fin.check
    waited = threading.Event()

    def late_check(path):
        if not waited.is_set():
            waited.set()
            deadline = time.monotonic() + 20
            while len(rec.files) < 4 and time.monotonic() < deadline:
                time.sleep(0.01)
        return real_check(path)

    monkeypatch.setattr(fin, "check", late_check)
    with caplog.at_level(logging.INFO, logger="camapp.record"):
        rec = VideoRecorder(
            tmp_path / "out.mp4",
            queue_size=0,
            segments=Segments(tmp_path / "out.mp4", seconds=1, keep_mb=0.05),
        )
        for i, r in enumerate(clip_results(need(PERSON_CLIP), 100)):
            if i == 45:  # the later cuts come once the first files are finalized: they prune them
                deadline = time.monotonic() + 30
                while (len(rec.files) < 4 or rec._finalizer.busy) and time.monotonic() < deadline:
                    time.sleep(0.01)
            rec.submit(r)
        rec.close()
    assert rec.error is None and waited.is_set() and len(rec.files) == 10
    assert rec.unfinalized == [] and rec._finalizer.failed == []
    removed = [
        r.getMessage().split()[2] for r in caplog.records if r.getMessage().startswith("camapp: removed")
    ]
    assert removed, "the cap must prune something"
    on_disk = sorted(tmp_path.glob("out-*.mp4"))  # a name freed by pruning may be taken again: count
    assert len(removed) + len(on_disk) == len(rec.files)  # every file removed once, or left, not both
    assert not [r for r in caplog.records if "not finalized" in r.getMessage() or r.exc_info]
    assert rec.files[0] in rec.finalized  # being finalized while the cuts came: kept, finished
    assert [fin.mp4_kind(p) for p in on_disk] == ["regular"] * len(on_disk)
