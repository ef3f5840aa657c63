"""Finalizing fragmented MP4s: fast unit tests of `camapp.record.finalize` on real encoded clip
frames, and the recorders finalizing their own files (single file, segments, event clips)."""

from __future__ import annotations

import logging
import os
import threading
from pathlib import Path

import av
import pytest
from conftest import PERSON_CLIP, need

from camapp.record import Segments, VideoRecorder
from camapp.record import finalize as fin
from camapp.record.encode import ClipWriter, Encoder
from camapp.record.finalizer import unfinalized
from tests.record.marks import index_of, marked


def frames_of(path):
    """(frame indices drawn by `marked`, frame times) of every decodable frame."""
    idx, times = [], []
    with av.open(str(path)) as c:
        try:
            for f in c.decode(video=0):
                idx.append(index_of(f.to_ndarray(format="bgr24")))
                times.append(round(float(f.pts * f.time_base), 4))
        except av.error.InvalidDataError:
            pass
    return idx, times


def top_boxes(path):
    with open(path, "rb") as f:
        end = os.fstat(f.fileno()).st_size
        return [k.decode() for k, _, _ in fin._boxes(f, 0, end)]


@pytest.fixture()
def fragmented(tmp_path, clip_results):
    """Write `n` marked clip frames (10 fps, 384x216 plus marks) as a fragmented MP4, as recorders do."""

    def _make(n=40, name="rec.mp4"):
        enc = Encoder()
        w = ClipWriter(tmp_path / name, enc)
        for r in marked(clip_results(need(PERSON_CLIP), n)):
            img = r.frame.image[:216, :384]
            w.write(enc.encode(img, r.frame.media_time))
        w.close()
        return w.path

    return _make


def test_finalize_makes_a_regular_faststart_file_with_the_same_frames(fragmented, tmp_path):
    path = fragmented(40)
    before_frames = frames_of(path)
    mtime = path.stat().st_mtime_ns
    assert fin.mp4_kind(path) == "fragmented" and "moof" in top_boxes(path)
    done = fin.finalize(path, expect_frames=40)
    assert done.frames == 40 and done.duration == pytest.approx(4.0, abs=1e-3)
    assert fin.mp4_kind(path) == "regular"
    boxes = top_boxes(path)
    assert "moof" not in boxes and boxes.index("moov") < boxes.index("mdat")  # index in front
    assert frames_of(path) == before_frames == (list(range(40)), [i / 10 for i in range(40)])
    with av.open(str(path)) as c:  # what a player reads from the header
        assert c.streams.video[0].frames == 40 and c.duration / 1e6 == pytest.approx(4.0, abs=1e-3)
    assert path.stat().st_mtime_ns == mtime  # keeps its place among segments sorted by time
    assert sorted(p.name for p in tmp_path.iterdir()) == ["rec.mp4"]  # no temporary left


def test_a_frame_count_mismatch_is_refused_and_the_original_kept(fragmented, tmp_path):
    path = fragmented(20)
    data = path.read_bytes()
    with pytest.raises(fin.FinalizeError, match="copy holds 20 frames, the recording 21"):
        fin.finalize(path, expect_frames=21)
    assert path.read_bytes() == data
    assert sorted(p.name for p in tmp_path.iterdir()) == ["rec.mp4"]


def test_a_copy_that_reads_back_wrong_is_refused(fragmented, tmp_path, monkeypatch):
    """The read-back is the check: a copy whose header or length differs never replaces the original."""
    path = fragmented(20)
    data = path.read_bytes()
    real = fin._read_back

    def short(p):  # the copy as read back, one frame duration shorter
        header, packets, first, end, tb, crc = real(p)
        return header, packets, first, end - 9000, tb, crc

    monkeypatch.setattr(fin, "_read_back", short)
    with pytest.raises(fin.FinalizeError, match=r"lasts 1\.900 s, the original 2\.000 s"):
        fin.finalize(path, 20)
    monkeypatch.setattr(fin, "_read_back", lambda p: (19, *real(p)[1:]))
    with pytest.raises(fin.FinalizeError, match="19 frames in its index"):
        fin.finalize(path, 20)
    monkeypatch.setattr(fin, "_read_back", lambda p: (*real(p)[:5], 12345))  # same count, other bytes
    with pytest.raises(fin.FinalizeError, match="20 copied, other data"):
        fin.finalize(path, 20)
    assert path.read_bytes() == data
    assert sorted(p.name for p in tmp_path.iterdir()) == ["rec.mp4"]


def test_a_failed_rename_removes_the_temporary(fragmented, tmp_path, monkeypatch):
    path = fragmented(10)
    data = path.read_bytes()

    def refuse(*_):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(fin.os, "replace", refuse)
    with pytest.raises(fin.FinalizeError, match="cannot finalize: Permission denied"):
        fin.finalize(path)
    assert path.read_bytes() == data and sorted(p.name for p in tmp_path.iterdir()) == ["rec.mp4"]


def test_a_file_cut_short_by_a_crash_keeps_every_complete_frame(fragmented):
    path = fragmented(40)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) - 3000])  # the end of the last fragment never reached the disk
    playable = frames_of(path)[0]
    assert 20 <= len(playable) < 40
    fin.finalize(path)
    assert fin.mp4_kind(path) == "regular"
    assert frames_of(path)[0] == playable[: len(frames_of(path)[0])]
    assert len(frames_of(path)[0]) >= len(playable) - 1  # at most the torn frame is gone


@pytest.mark.parametrize(
    "content,message",
    [
        (None, "no such file"),
        (b"", "empty file"),
        (b"\x1aE\xdf\xa3 Matroska bytes", "not an MP4 file"),
        (b"hello", "not an MP4 file"),
    ],
)
def test_files_that_are_not_fragmented_mp4s(tmp_path, content, message):
    path = tmp_path / "x.mp4"
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(fin.FinalizeError, match=message):
        fin.finalize(path)


def test_already_final_and_header_only_files(fragmented):
    path = fragmented(10)
    fin.finalize(path)
    with pytest.raises(fin.AlreadyFinal, match="already finalized"):
        fin.finalize(path)
    head = fragmented(10, "head.mp4")
    data = head.read_bytes()
    boxes = top_boxes(head)
    assert boxes[:2] == ["ftyp", "moov"]
    with open(head, "rb") as f:  # killed right after the header: ftyp + moov, no fragment
        end = os.fstat(f.fileno()).st_size
        cut = [e for k, _, e in fin._boxes(f, 0, end) if k == b"moov"][0]
    head.write_bytes(data[:cut])
    with pytest.raises(fin.FinalizeError, match="holds no complete frame"):
        fin.finalize(head)
    assert head.read_bytes() == data[:cut]


def test_a_file_being_recorded_is_left_alone(tmp_path, clip_results):
    enc = Encoder()
    w = ClipWriter(tmp_path / "live.mp4", enc)
    for r in clip_results(need(PERSON_CLIP), 12):
        w.write(enc.encode(r.frame.image, r.frame.media_time))
    try:
        with pytest.raises(fin.FinalizeError, match="being recorded by a running camapp"):
            fin.finalize(w.path)
        assert unfinalized([w.path]) == []  # not a crash leftover either
    finally:
        w.close()
    assert unfinalized([w.path]) == [w.path]


def test_a_file_pruned_while_being_finalized_is_dropped_quietly(fragmented, tmp_path, monkeypatch, caplog):
    """--record-keep-mb may delete a segment the finalizer is copying: the copy must not bring it back."""
    from camapp.record.finalizer import Finalizer

    path = fragmented(10)
    real = fin._faststart

    def pruned_meanwhile(p):
        path.unlink()
        return real(p)

    monkeypatch.setattr(fin, "_faststart", pruned_meanwhile)
    f = Finalizer()
    with caplog.at_level(logging.WARNING, logger="camapp.record"):
        assert f.run_now(path, 10) is None
    assert f.failed == [] and f.done == [] and caplog.records == []
    assert list(tmp_path.iterdir()) == []


def test_not_enough_room_for_the_copy(fragmented):
    path = fragmented(10)
    with pytest.raises(fin.FinalizeError, match="not enough free space"):
        fin.finalize(path, reserve=1 << 60)
    assert fin.mp4_kind(path) == "fragmented"


def test_temporaries_of_dead_finalizes_are_removed_live_ones_kept(fragmented, tmp_path):
    path = fragmented(10)
    dead = fin.temp_path(path, pid=2**22 + 12345)  # above the default pid_max: no such process
    live = fin.temp_path(path, pid=1)
    dead.write_bytes(b"x")
    live.write_bytes(b"x")
    fin.finalize(path)
    assert not dead.exists() and live.exists()


def test_recorder_finalizes_its_file_on_close(tmp_path, clip_results):
    rec = VideoRecorder(tmp_path / "a.mp4", queue_size=0)
    for r in marked(clip_results(need(PERSON_CLIP), 30)):
        rec.submit(r)
    rec.close()
    assert rec.error is None and rec.finalized == [rec.path] and rec.unfinalized == []
    assert fin.mp4_kind(rec.path) == "regular"
    assert frames_of(rec.path)[0] == list(range(30))


def test_mkv_is_left_as_written(tmp_path, clip_results):
    """Matroska gets its duration and index at close already (the browser test checks that)."""
    rec = VideoRecorder(tmp_path / "a.mkv", queue_size=0)
    for r in clip_results(need(PERSON_CLIP), 10):
        rec.submit(r)
    rec.close()
    assert rec.finalized == [] and rec.unfinalized == []


def test_segments_finalize_off_the_recording_thread_and_lose_nothing(tmp_path, clip_results, monkeypatch):
    threads: list[tuple[str, str]] = []
    real = fin.finalize

    def spy(*a, **kw):
        threads.append((Path(a[0]).name, threading.current_thread().name))
        return real(*a, **kw)

    monkeypatch.setattr(fin, "finalize", spy)
    base = tmp_path / "seg.mp4"
    rec = VideoRecorder(base, queue_size=0, segments=Segments(base, seconds=2))
    for r in marked(clip_results(need(PERSON_CLIP), 70)):
        rec.submit(r)
    rec.close()
    assert len(rec.files) == 4 and rec.finalized and sorted(rec.finalized) == sorted(rec.files)
    # cut segments on the finalizer thread, the last one on the recorder's own thread at close
    assert sorted(threads) == sorted(
        [(f.name, "camapp-finalize") for f in rec.files[:3]] + [(rec.files[3].name, "camapp-video")]
    )
    assert [i for f in rec.files for i in frames_of(f)[0]] == list(range(70))
    assert all(fin.mp4_kind(f) == "regular" for f in rec.files)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(f.name for f in rec.files)


def test_leftovers_in_the_folder_are_reported_with_the_command(fragmented, tmp_path, clip_results, caplog):
    left = fragmented(10, "old crash.mp4")
    done = fragmented(10, "old done.mp4")
    fin.finalize(done)
    stale = fin.temp_path(done, pid=2**22 + 12345)  # a finalize killed mid-copy, its file since deleted
    stale.write_bytes(b"partial")
    done.unlink()
    rec = VideoRecorder(tmp_path / "new.mp4", queue_size=0)
    with caplog.at_level(logging.WARNING, logger="camapp.record"):
        for r in clip_results(need(PERSON_CLIP), 5):
            rec.submit(r)
        rec.close()
    warnings = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert warnings == [
        "camapp: 1 recording is not finalized (left by a run that stopped early); browsers cannot "
        f"seek it. Fix: camapp record finalize '{left}'"
    ]
    assert fin.mp4_kind(rec.path) == "regular"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["new.mp4", "old crash.mp4"]


def test_a_file_appended_to_during_its_finalize_is_left_as_it_was(fragmented, monkeypatch):
    """Another writer appends while the copy is made (same file, same inode: only its size tells):
    the copy must not replace it, or the appended bytes would be lost."""
    path = fragmented(20)
    appended = b"\0\0\0\x10free" + b"late" * 2  # a whole `free` box: the file stays a valid MP4
    real_pause = fin._pause

    def append_before_rename(stage):
        if stage == "rename":
            with open(path, "ab") as f:
                f.write(appended)
        real_pause(stage)

    monkeypatch.setattr(fin, "_pause", append_before_rename)
    before = path.read_bytes()
    with pytest.raises(fin.FinalizeError, match="changed while being finalized"):
        fin.finalize(path, 20)
    assert path.read_bytes() == before + appended  # nothing replaced, nothing lost
    assert fin.mp4_kind(path) == "fragmented"
    assert not list(path.parent.glob(".*.tmp"))  # the copy is removed
