"""VideoRecorder on real clip frames: fps from the frames, crash safety, errors, live toggling."""

from __future__ import annotations

import json
import logging
import os
import shutil
import signal
import subprocess
import threading

import numpy as np
import pytest
from conftest import BOTTLE_CLIP, PERSON_CLIP, need

from camapp.errors import CamappError
from camapp.record import Segments, VideoRecorder, pick_codec
from camapp.record import video as video_mod
from camapp.types import Detections, Frame


def record(path, results, **kw) -> VideoRecorder:
    rec = VideoRecorder(path, queue_size=0, **kw)  # lossless: every frame must reach the file
    for r in results:
        rec.submit(r)
    rec.close()
    return rec


@pytest.mark.parametrize("ext", [".mp4", ".mkv"])
@pytest.mark.parametrize("clip,fps,count", [(PERSON_CLIP, 10.0, 40), (BOTTLE_CLIP, 29.97, 60)])
def test_file_plays_at_the_clip_rate(tmp_path, clip_results, decoded, ext, clip, fps, count):
    need(clip)
    rec = record(tmp_path / f"out{ext}", clip_results(clip, count))
    assert rec.error is None and rec.dropped == 0
    assert rec.frames_written == count
    times, info = decoded(rec.path)
    assert info["codec"] == "h264"  # libx264 is in PyAV's wheel here
    assert len(times) == count
    steps = np.diff(times)
    assert np.allclose(steps, 1 / fps, atol=0.002), steps  # 10 fps stays 10 fps, not 30
    assert times[-1] - times[0] == pytest.approx((count - 1) / fps, abs=0.01)
    assert rec.elapsed == pytest.approx((count - 1) / fps, abs=0.01)
    assert float(info["rate"]) == pytest.approx(fps, rel=0.01)


def test_capture_timestamps_used_without_media_time(tmp_path, rec_kit, decoded):
    """A camera has no file position: the monotonic capture time paces the file (here 5 fps)."""
    frames = list(rec_kit.read_clip(need(PERSON_CLIP), 15))
    results = [
        rec_kit.Result(Frame(f.image, 50.0 + 0.2 * i, i), Detections.empty(), rec_kit.Stats())
        for i, f in enumerate(frames)
    ]
    rec = record(tmp_path / "cam.mp4", results)
    times, _ = decoded(rec.path)
    assert len(times) == 15 and np.allclose(np.diff(times), 0.2, atol=0.002)


def test_media_time_jumping_back_keeps_time_moving_forward(tmp_path, rec_kit, decoded):
    """A looping file source restarts media_time; the recording continues instead of breaking."""
    frames = list(rec_kit.read_clip(need(PERSON_CLIP), 20))
    results = [rec_kit.Result(f, Detections.empty(), rec_kit.Stats()) for f in frames + frames]
    rec = record(tmp_path / "loop.mkv", results)
    times, _ = decoded(rec.path)
    assert len(times) == 40
    assert np.all(np.diff(times) > 0)
    assert times[-1] == pytest.approx(3.9, abs=0.01)


def test_annotates_on_its_own_thread(tmp_path, clip_results, decoded, monkeypatch):
    callers: list[threading.Thread] = []
    real = video_mod.annotate

    def spy(*args):
        callers.append(threading.current_thread())
        return real(*args)

    monkeypatch.setattr(video_mod, "annotate", spy)
    rec = record(tmp_path / "a.mp4", clip_results(need(PERSON_CLIP), 5))
    assert len(callers) == 5 and threading.current_thread() not in callers

    import av

    with av.open(str(rec.path)) as c:
        first = next(c.decode(video=0)).to_ndarray(format="bgr24")
    source = next(iter(clip_results(PERSON_CLIP, 1))).frame.image
    # The heads-up band (bottom-left) is darkened in the file, the rest of the frame is not.
    band = first[-15:-5, 5:100].astype(int).mean()
    assert band < 0.7 * source[-15:-5, 5:100].astype(int).mean()
    assert abs(first[:200, 400:].astype(int).mean() - source[:200, 400:].astype(int).mean()) < 3


def test_submit_never_blocks_full_queue_drops_and_counts(tmp_path, clip_results):
    results = list(clip_results(need(BOTTLE_CLIP), 40))
    rec = VideoRecorder(tmp_path / "d.mp4", queue_size=2)
    for r in results:
        rec.submit(r)  # far faster than encoding: most must be dropped, none may wait
    rec.close()
    assert rec.dropped > 0
    assert rec.dropped + rec.frames_written == len(results)


def test_live_toggle_close_is_idempotent(tmp_path, clip_results, decoded):
    """The GUI starts and stops recordings while the pipeline runs; each file starts at 0."""
    results = list(clip_results(need(PERSON_CLIP), 40))
    first = VideoRecorder(tmp_path / "one.mp4", queue_size=1000)
    for r in results[:15]:
        first.submit(r)
    first.close()
    first.close()
    first.submit(results[15])  # after close: ignored, no error
    assert first.frames_written == 15 and first.error is None
    assert first.path == tmp_path / "one.mp4"
    second = record(tmp_path / "two.mp4", results[25:40])
    times, _ = decoded(second.path)
    assert len(times) == 15 and times[0] == 0.0 and np.allclose(np.diff(times), 0.1, atol=0.002)
    assert second.elapsed == pytest.approx(1.4, abs=0.01)


def test_bad_extension_is_a_user_error(tmp_path):
    with pytest.raises(CamappError, match=r"\.mp4.*\.mkv"):
        VideoRecorder(tmp_path / "out.avi")


def test_missing_directory_reports_and_caller_goes_on(tmp_path, clip_results, caplog):
    messages: list[str] = []
    with caplog.at_level(logging.ERROR, logger="camapp.record"):
        rec = VideoRecorder(tmp_path / "nope" / "out.mp4", on_error=messages.append)
    assert rec.error and "No such file or directory" in rec.error and str(tmp_path / "nope") in rec.error
    assert messages == [rec.error]
    assert [r.getMessage() for r in caplog.records] == [f"camapp: {rec.error}"]
    for r in clip_results(need(PERSON_CLIP), 3):
        rec.submit(r)
    rec.close()
    assert rec.frames_written == 0 and not rec.running


def test_unwritable_directory_reports_and_caller_goes_on(tmp_path, run_child):
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(0o555)
    try:
        child = run_child(
            str(need(PERSON_CLIP)), str(ro / "x.mp4"), "--frames", "5", "--pace", "100", user_unwritable=True
        )
        out, err = child.communicate(timeout=60)
    finally:
        ro.chmod(0o755)
    assert child.returncode == 0, err
    summary = json.loads(out.splitlines()[-1])
    assert summary["submitted"] == 5  # the caller kept going
    assert "Permission denied" in summary["error"] and str(ro / "x.mp4") in summary["error"]
    assert summary["callback"] == [summary["error"]]
    assert err.strip().splitlines() == [f"camapp: {summary['error']}"]  # exactly one log line


@pytest.mark.parametrize("ext", [".mp4", ".mkv"])
def test_kill_9_keeps_all_but_the_last_second(tmp_path, decoded, run_child, ext):
    """A real recording process is SIGKILLed mid-file; the file must play up to ~1 s before."""
    out = tmp_path / f"killed{ext}"
    child = run_child(str(need(PERSON_CLIP)), str(out), "--pace", "20")
    written = elapsed = None
    for line in child.stdout:
        parts = line.split()
        if parts[0] == "frame" and int(parts[2]) >= 50:
            written, elapsed = int(parts[2]), float(parts[3])
            child.send_signal(signal.SIGKILL)
            break
    child.wait(timeout=30)
    assert child.returncode == -signal.SIGKILL
    assert written is not None
    times, info = decoded(out)
    # Everything up to the last keyframe (forced every 1 s of frame time) survives.
    assert len(times) >= written - 11, (len(times), written)
    assert times[-1] >= elapsed - 1.1
    assert np.allclose(np.diff(times), 0.1, atol=0.002)


def test_full_disk_stops_recording_with_a_message(tmp_path, decoded, run_child):
    """RLIMIT_FSIZE makes writes fail with EFBIG mid-recording, as a full disk fails with ENOSPC."""
    out = tmp_path / "full.mp4"
    child = run_child(str(need(PERSON_CLIP)), str(out), "--frames", "60", "--pace", "60", "--fsize", "60000")
    stdout, err = child.communicate(timeout=120)
    assert child.returncode == 0, err
    summary = json.loads(stdout.splitlines()[-1])
    assert summary["submitted"] == 60  # the caller kept going after the error
    assert summary["error"] == f"recording {out} stopped: File too large"
    assert summary["callback"] == [summary["error"]]
    assert err.strip().splitlines() == [
        f"camapp: {summary['error']}",
        "camapp: 1 recording is not finalized (cut short by a write error); browsers cannot seek it. "
        f"Fix: camapp record finalize {out}",
    ]
    assert 0 < summary["frames_written"] < 60
    times, _ = decoded(out)
    assert len(times) >= 10  # what was written before the error still plays


def test_codec_fallback_is_announced_and_plays(tmp_path, clip_results, decoded, caplog):
    """Without libx264 in PyAV's FFmpeg the recorder falls back to MPEG-4 and says so."""
    with caplog.at_level(logging.WARNING, logger="camapp.record"):
        assert pick_codec(available={"mpeg4", "h264", "aac"}) == "mpeg4"
    assert "libx264 is not in PyAV's FFmpeg build" in caplog.text
    rec = record(tmp_path / "fallback.mkv", clip_results(need(PERSON_CLIP), 20), codec="mpeg4")
    times, info = decoded(rec.path)
    assert info["codec"] == "mpeg4" and len(times) == 20
    assert np.allclose(np.diff(times), 0.1, atol=0.002)


@pytest.fixture()
def tiny_disk(tmp_path):
    """A 256 kB tmpfs: a really full disk (ENOSPC). Needs root and mount rights, so CI skips it;
    the RLIMIT_FSIZE test above covers the same path without privileges."""
    mnt = tmp_path / "disk"
    mnt.mkdir()
    if os.geteuid() != 0 or shutil.which("mount") is None:
        pytest.skip("mounting a tmpfs needs root")
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", str(mnt)], capture_output=True)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.decode().strip()}")
    yield mnt
    subprocess.run(["umount", str(mnt)], check=True)


def test_really_full_disk(tiny_disk, clip_results, decoded):
    messages: list[str] = []
    rec = VideoRecorder(tiny_disk / "full.mkv", queue_size=0, on_error=messages.append)
    for r in clip_results(need(PERSON_CLIP), 150):
        rec.submit(r)
    rec.close()
    assert rec.error == f"recording {tiny_disk / 'full.mkv'} stopped: No space left on device"
    assert messages == [rec.error]
    assert 10 <= rec.frames_written < 150
    times, _ = decoded(rec.path)
    assert len(times) >= 10


@pytest.mark.parametrize(("preset", "profile"), [(None, "Constrained Baseline"), ("veryfast", "High")])
def test_the_x264_preset_reaches_the_encoder(tmp_path, clip_results, preset, profile):
    """camapp records with `ultrafast` (x264's Constrained Baseline: no CABAC), the cheapest on the CPU."""
    import av

    from camapp.record.encode import ClipWriter, Encoder

    enc = Encoder() if preset is None else Encoder(preset=preset)
    writer = ClipWriter(tmp_path / "p.mp4", enc)
    for i, r in enumerate(clip_results(need(PERSON_CLIP), 5)):
        writer.write(enc.encode(r.frame.image, i / 10))
    writer.write(enc.flush())
    writer.close()
    with av.open(str(writer.path)) as c:
        assert c.streams.video[0].codec_context.profile == profile


@pytest.mark.parametrize("segmented", [False, True])
def test_a_recording_that_gets_no_frame_leaves_no_file_and_is_never_ok(tmp_path, segmented):
    """The source ended (or was stopped) before its first frame: no 0-byte file, and an error."""
    path = tmp_path / "none.mp4"
    rec = VideoRecorder(path, segments=Segments(path, seconds=5) if segmented else None)
    rec.close()
    assert rec.error == f"{rec.what} stopped: no frame was recorded, so no file was written"
    assert list(tmp_path.iterdir()) == [] and rec.files == []


def test_a_recording_with_one_frame_is_kept(tmp_path, clip_results):
    rec = record(tmp_path / "one.mp4", clip_results(need(PERSON_CLIP), 1))
    assert rec.error is None and rec.frames_written == 1 and rec.path.stat().st_size > 0
