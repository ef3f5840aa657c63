"""`camapp run --record FILE --record-segment S`: one run, a series of files, nothing lost at cuts.

Real model on the real 10 fps person clip with --no-realtime, so media time (and with it every cut)
is deterministic.
"""

import re

import av
import pytest
from conftest import PERSON_CLIP, need
from support.cli import in_folder, run_refused

from camapp.cli import main
from camapp.record.finalize import mp4_kind

NAME = re.compile(r"out-\d{8}-\d{6}(_\d+)?\.mp4")


def segment_info(path):
    """(frames, first packet is a keyframe, frame times) of one segment file."""
    with av.open(str(path)) as c:
        first_key = next(p for p in c.demux(video=0) if p.size).is_keyframe
    with av.open(str(path)) as c:
        times = [float(f.pts * f.time_base) for f in c.decode(video=0)]  # decodes from its first frame
    return len(times), first_key, times


def run(*extra, frames=100):
    return main(
        ["run", "--headless", "--source", str(need(PERSON_CLIP)), "--no-realtime"]
        + ["--max-frames", str(frames), "--stats-every", "100", *extra]
    )


def test_segments_of_three_seconds(model_store, tmp_path, capsys):
    rc = run("--record", str(tmp_path / "out.mp4"), "--record-segment", "3")
    out = capsys.readouterr().out
    assert rc == 0, out
    assert "summary: 100 frames" in out and f"recording {tmp_path / 'out-*.mp4'}: ok" in out
    files = sorted(tmp_path.iterdir(), key=lambda p: p.stat().st_mtime_ns)
    assert all(NAME.fullmatch(p.name) for p in files), files
    info = [segment_info(p) for p in files]
    assert [n for n, _, _ in info] == [30, 30, 30, 10]  # 100 processed, 100 recorded: none lost at a cut
    assert [mp4_kind(p) for p in files] == ["regular"] * 4  # each segment finalized, the last at exit
    for _, first_key, times in info:
        assert first_key and times[0] == 0.0
        assert times == pytest.approx([i / 10 for i in range(len(times))], abs=0.002)


def test_size_segments_and_keep_cap(model_store, tmp_path, capsys):
    rc = run(
        "--record",
        str(tmp_path / "out.mp4"),
        "--record-segment-mb",
        "0.05",
        "--record-keep-mb",
        "0.12",
        frames=60,
    )
    out = capsys.readouterr().out
    assert rc == 0, out
    files = sorted(tmp_path.iterdir(), key=lambda p: p.stat().st_mtime_ns)
    assert len(files) >= 2 and all(NAME.fullmatch(p.name) for p in files)
    # oldest files went: what is left before the newest (still growing after its cut) fits the cap
    assert sum(p.stat().st_size for p in files[:-1]) <= 0.12 * 1024 * 1024
    frames = [segment_info(p)[0] for p in files]
    assert sum(frames) < 60  # some were deleted...
    assert all(segment_info(p)[1] for p in files)  # ...and every kept one starts on a keyframe


@pytest.mark.parametrize(
    "extra,reason",
    [
        (
            ["--record", "{tmp}/o.mp4", "--record-segment", "0"],
            "argument --record-segment: '0' must be positive",
        ),
        (
            ["--record", "{tmp}/o.mp4", "--record-segment", "-5"],
            "argument --record-segment: '-5' must be positive",
        ),
        (["--record", "{tmp}/o.mp4", "--record-segment", "15m"], "'15m' is not a number"),
        (["--record", "{tmp}/o.mp4", "--record-segment-mb", "0"], "'0' must be positive"),
        (["--record", "{tmp}/o.mp4", "--record-keep-mb", "nan"], "'nan' must be positive"),
        (["--record-segment", "3"], "go with --record FILE"),
        (
            ["--record", "{tmp}/o.mp4", "--record-keep-mb", "100"],
            "--record-keep-mb goes with --record-segment",
        ),
        (["--record", "{tmp}/o.avi", "--record-segment", "3"], "use a .mp4"),
        (["--record", "{tmp}/nodir/o.mp4", "--record-segment", "3"], "cannot write"),
    ],
)
def test_bad_segment_options_exit_2_with_one_line(model_store, tmp_path, capsys, extra, reason):
    run_refused(capsys, [*in_folder(extra, tmp_path), "--no-realtime", "--stats-every", "100"], reason)
    assert list(tmp_path.iterdir()) == []  # nothing written


def test_full_disk_pauses_and_exit_status_says_so(model_store, small_disk, capsys, caplog):
    """A real tmpfs with room for less than one 3 s segment beside another file: each segment fills
    the disk and pauses; at the next boundary pruning (--record-keep-mb) deletes the broken file and
    recording resumes. The summary counts the pauses and the lost frames; the exit status is 1
    because frames were lost to write errors, as when a recording stops."""
    import shutil

    disk = small_disk(256)
    _, _, free = shutil.disk_usage(disk)
    (disk / "other.bin").write_bytes(b"\0" * (free - 100 * 1024))
    rc = run("--record", str(disk / "out.mp4"), "--record-segment", "3", "--record-keep-mb", "0.05")
    out = capsys.readouterr().out
    assert rc == 1, out
    m = re.search(
        rf"recording {re.escape(str(disk))}/out-\*\.mp4: ok, paused (\d+) times? \((\d+) frames not recorded\)\n",
        out,
    )
    assert m, out
    pauses, lost = int(m[1]), int(m[2])
    assert pauses >= 2 and 0 < lost < 100
    assert caplog.text.count("paused: No space left on device; retrying at the next segment") == pauses
    assert caplog.text.count("resumed: ") == pauses
    files = sorted((p for p in disk.iterdir() if NAME.fullmatch(p.name)), key=lambda p: p.stat().st_mtime_ns)
    assert files  # the newest one resumed after a pause: it plays from its first frame
    n, first_key, times = segment_info(files[-1])
    assert first_key and times[0] == 0.0 and n == 10  # frames 90-99: the last 3 s segment, 1 s long
