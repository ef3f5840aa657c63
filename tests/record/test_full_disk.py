"""A segmented recording that runs out of room pauses and resumes at the next segment; any other
write error still stops it for good.

Real encoder, real clip frames, real full disks: a small tmpfs (needs root; skipped elsewhere) and
RLIMIT_FSIZE in a child process (EFBIG; runs anywhere). Each frame carries its index drawn into
its top-left corner (`tests/record/marks.py`), so the decoded files say exactly which frames they
hold.
"""

from __future__ import annotations

import json
import logging
import shutil
import time

import av
import pytest
from conftest import PERSON_CLIP, need

from camapp.record import Segments, VideoRecorder
from tests.record.marks import index_of, marked


def frames_in(path):
    """(frame indices read from the marks, frame times, first packet is a keyframe), decoding from
    the file's first frame and stopping at a truncated tail (a file the disk could not finish)."""
    with av.open(str(path)) as c:
        first_key = next(p for p in c.demux(video=0) if p.size).is_keyframe
    indices, times = [], []
    with av.open(str(path)) as c:
        try:
            for frame in c.decode(video=0):
                indices.append(index_of(frame.to_ndarray(format="bgr24")))
                times.append(float(frame.pts * frame.time_base))
        except av.error.InvalidDataError:
            pass
    return indices, times, first_key


def feed(rec, results, on_each=None):
    """Submit one result at a time and wait until the recorder has handled it, so the test knows
    which frame a pause happened on. `on_each(i)` runs after frame i was handled."""
    n = 0
    for i, r in enumerate(results):
        rec.submit(r)
        n += 1
        deadline = time.monotonic() + 30
        while (rec.frames_written + rec.dropped < n) and rec.running and time.monotonic() < deadline:
            time.sleep(0.002)
        if on_each is not None:
            on_each(i)
    rec.close()
    return n


def fill(folder, free_kb):
    """A file that is not a recording, leaving about `free_kb` of the disk free."""
    filler = folder / "filler.bin"
    total, _, free = shutil.disk_usage(folder)
    filler.write_bytes(b"\0" * (free - free_kb * 1024))
    return filler


@pytest.mark.parametrize("ext", [".mp4", ".mkv"])
def test_full_disk_pauses_then_a_later_segment_is_written(small_disk, clip_results, caplog, ext):
    """The disk fills in mid-run; the test deletes the filler while the recording is paused; the
    recording resumes at the next 2 s segment boundary with a file that plays from its first frame,
    and every frame from there on is in the files."""
    disk = small_disk(512)
    filler = fill(disk, 150)
    base = disk / f"out{ext}"
    errors: list[str] = []
    rec = VideoRecorder(base, queue_size=0, on_error=errors.append, segments=Segments(base, seconds=2))
    at_pause: dict[str, object] = {}

    def free_space(i):
        if rec.pauses and not at_pause:
            at_pause.update(frame=i, files=list(rec.files))
            filler.unlink()

    with caplog.at_level(logging.INFO, logger="camapp.record"):
        submitted = feed(rec, marked(clip_results(need(PERSON_CLIP), 120)), free_space)
    assert rec.error is None and errors == [] and rec.pauses == 1 and not rec.paused
    assert rec.frames_written + rec.dropped == submitted == 120
    assert rec.dropped == rec.frames_lost > 0
    failed = at_pause["frame"]
    resume = (failed // 20 + 1) * 20  # the next 2 s boundary (at 10 fps) after the failed frame
    assert rec.frames_lost == resume - failed
    after = rec.files[len(at_pause["files"]) :]
    decoded = [frames_in(p) for p in after]
    assert [i for ix, _, _ in decoded for i in ix] == list(range(resume, 120))  # nothing lost after
    for _, times, first_key in decoded:
        assert first_key and times[0] == 0.0
    # what was written before the disk filled still plays, from the first frame on
    before = [i for p in at_pause["files"] if p.exists() for i in frames_in(p)[0]]
    assert before == list(range(len(before))) and len(before) >= 10
    warnings = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert warnings == [
        f"camapp: recording {disk / f'out-*{ext}'} paused: No space left on device; retrying at the next segment",
        f"camapp: recording {disk / f'out-*{ext}'} resumed: {after[0]}",
    ]


def test_pruning_makes_the_room_before_the_disk_fills(small_disk, clip_results, caplog):
    """--record-keep-mb above what the disk holds beside other files: at each cut the oldest files
    go until there is room for a segment as large as the largest yet, so the disk never fills and
    not a frame is lost."""
    disk = small_disk(512)
    fill(disk, 180)
    base = disk / "out.mp4"
    rec = VideoRecorder(base, queue_size=0, segments=Segments(base, max_mb=0.05, keep_mb=0.15))
    with caplog.at_level(logging.WARNING, logger="camapp.record"):
        submitted = feed(rec, marked(clip_results(need(PERSON_CLIP), 240)))
    assert rec.error is None and rec.pauses == 0 and rec.dropped == 0
    assert rec.frames_written == submitted == 240
    assert "(disk full)" in caplog.text  # removed under the cap, for room
    survivors = sorted({p for p in rec.files if p.exists()}, key=lambda p: p.stat().st_mtime_ns)
    last = [i for p in survivors for i in frames_in(p)[0]]
    assert last == list(range(last[0], 240))  # the newest files hold the run's end, in order


def test_size_segments_retry_after_10_s_of_frame_time(small_disk, clip_results, caplog):
    """Cut by size only, there is no next segment time: a pause retries 10 s (100 frames at 10 fps)
    after the frame that did not fit; the test frees the space meanwhile."""
    disk = small_disk(512)
    filler = fill(disk, 120)
    base = disk / "out.mp4"
    rec = VideoRecorder(base, queue_size=0, segments=Segments(base, max_mb=0.5))
    failed: list[int] = []

    def free_space(i):
        if rec.pauses and not failed:
            failed.append(i)
            filler.unlink()

    with caplog.at_level(logging.WARNING, logger="camapp.record"):
        feed(rec, marked(clip_results(need(PERSON_CLIP), 160)), free_space)
    assert rec.error is None and rec.pauses == 1 and rec.frames_lost == 100
    indices, times, first_key = frames_in(rec.files[-1])
    assert first_key and times[0] == 0.0 and indices == list(range(failed[0] + 100, 160))
    assert "paused: No space left on device; retrying in 10 s" in caplog.text


def test_folder_gone_while_paused_stops_for_good(small_disk, clip_results, caplog):
    """Out of room pauses; but when the retry finds the folder gone (an unplugged disk), that is
    not a space error: the recording stops with one error line, as without segments."""
    disk = small_disk(512)
    folder = disk / "rec"
    folder.mkdir()
    fill(disk, 150)
    base = folder / "out.mkv"
    errors: list[str] = []
    rec = VideoRecorder(base, queue_size=0, on_error=errors.append, segments=Segments(base, seconds=2))

    def unplug(i):
        if rec.pauses and folder.exists():
            shutil.rmtree(folder)

    with caplog.at_level(logging.ERROR, logger="camapp.record"):
        submitted = feed(rec, marked(clip_results(need(PERSON_CLIP), 120)), unplug)
    assert rec.pauses == 1 and not rec.running
    assert rec.error == f"recording {folder / 'out-*.mkv'} stopped: No such file or directory"
    assert errors == [rec.error]
    assert [r.getMessage() for r in caplog.records] == [f"camapp: {rec.error}"]
    assert rec.frames_written + rec.frames_lost < submitted  # the rest was discarded after the stop


def test_file_size_limit_pauses_each_segment_and_resumes(tmp_path, run_child):
    """RLIMIT_FSIZE (EFBIG) in a real recording process, no root needed: every 3 s segment outgrows
    the 60 kB limit, pauses, and the next segment starts afresh on a keyframe."""
    base = tmp_path / "out.mp4"
    child = run_child(
        str(need(PERSON_CLIP)),
        str(base),
        *("--frames", "100", "--pace", "100", "--fsize", "60000", "--segment", "3"),
    )
    stdout, err = child.communicate(timeout=120)
    assert child.returncode == 0, err
    summary = json.loads(stdout.splitlines()[-1])
    assert summary["error"] is None and summary["callback"] == []
    assert summary["submitted"] == 100 and summary["pauses"] >= 2
    assert summary["frames_written"] + summary["dropped"] == 100
    assert summary["dropped"] == summary["frames_lost"] > 0
    files = summary["files"]
    assert len(files) == 4  # segments start at 0, 3, 6, 9 s whatever happened in between
    pattern = tmp_path / "out-*.mp4"
    paused = f"camapp: recording {pattern} paused: File too large; retrying at the next segment"
    lines = err.strip().splitlines()
    assert lines.count(paused) == summary["pauses"]
    assert [x for x in lines if x != paused] == [
        f"camapp: recording {pattern} resumed: {f}" for f in files[1:]
    ]
    for f in files:
        with av.open(f) as c:
            first = next(p for p in c.demux(video=0) if p.size)
            assert first.is_keyframe
        with av.open(f) as c:
            assert float(next(c.decode(video=0)).pts * c.streams.video[0].time_base) == 0.0


def test_still_paused_at_the_end_is_reported(small_disk, clip_results, capsys):
    """The disk never gets room again: the run ends paused, and `camapp run`'s summary says so."""
    from collections import Counter

    from camapp.cli.run import summarize
    from camapp.pipeline import Stats
    from camapp.session.status import output_status, stats_dict

    disk = small_disk(256)
    fill(disk, 40)
    base = disk / "out.mp4"
    rec = VideoRecorder(base, queue_size=0, segments=Segments(base, seconds=60))
    submitted = feed(rec, clip_results(need(PERSON_CLIP), 40))
    assert rec.error is None and rec.pauses == 1 and rec.paused
    assert rec.frames_written + rec.frames_lost == submitted
    # `camapp run` summarizes from the session's status: the same dicts, built from this recorder
    status = {"stats": stats_dict(Stats(frames=submitted)), "outputs": [output_status("video", rec, False)]}
    summarize(status, 4.0, "end of input", Counter())
    line = capsys.readouterr().out.splitlines()[-1]
    assert line == (
        f"recording {disk / 'out-*.mp4'}: ok, paused 1 time ({rec.frames_lost} frames not recorded),"
        " still paused at the end"
    )


def test_a_cap_larger_than_the_disk_still_loops(small_disk, clip_results, caplog):
    """--record-keep-mb above what the disk holds (the boot service's 20000 MB on a small card):
    the cap never triggers, so after each full disk the oldest segment goes anyway and recording
    carries on instead of pausing for good."""
    disk = small_disk(256)
    base = disk / "out.mp4"
    rec = VideoRecorder(base, queue_size=0, segments=Segments(base, seconds=1, keep_mb=10))
    with caplog.at_level(logging.WARNING, logger="camapp.record"):
        submitted = feed(rec, marked(clip_results(need(PERSON_CLIP), 200)))
    assert rec.error is None and rec.pauses >= 1 and not rec.paused
    assert rec.frames_written + rec.dropped == submitted == 200
    removed = [r.getMessage() for r in caplog.records if "(disk full)" in r.getMessage()]
    assert removed, "no segment gave way to the full disk"
    last = rec.files[-1]
    indices, _, first_key = frames_in(last)
    assert first_key and indices and indices[-1] == 199  # the run's last frame is on the disk
