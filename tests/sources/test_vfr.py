"""Frame times come from the media: a variable-frame-rate file (made here with PyAV from a shared
clip) is timed by each frame's own presentation time; constant-rate files keep count / fps exactly."""

from __future__ import annotations

import statistics
import time

import pytest
from conftest import PERSON_CLIP, make_vfr_clip, need

from camapp.sources import open_source

GAPS_MS = [40, 360]  # average 200 ms (5 fps), but frames come in pairs: 40 ms apart, then 360 ms


def read_all(src, limit: int = 10_000) -> list:
    src.open()
    frames = []
    try:
        while len(frames) < limit and (f := src.read()) is not None:
            frames.append(f)
    finally:
        src.close()
    return frames


def test_variable_rate_file_frames_carry_their_own_times(tmp_path):
    clip = tmp_path / "vfr.mp4"
    times = make_vfr_clip(clip, GAPS_MS)
    frames = read_all(open_source(str(clip), realtime=False))
    assert len(frames) == len(times)
    assert [f.media_time for f in frames] == pytest.approx(times, abs=1e-3)
    assert frames[-1].media_time == pytest.approx(times[-1], abs=1e-3)  # 3.0 s: not 15 / avg fps


def test_constant_rate_file_keeps_count_over_fps_exactly():
    frames = read_all(open_source(str(need(PERSON_CLIP)), realtime=False))
    assert len(frames) > 100
    assert all(f.media_time == f.index / 10.0 for f in frames)  # bit for bit what count / fps gives


def test_realtime_pacing_follows_the_frames_own_times(tmp_path):
    clip = tmp_path / "vfr.mp4"
    make_vfr_clip(clip, GAPS_MS)
    src = open_source(str(clip), realtime=True)
    src.open()
    arrivals = []
    try:
        for _ in range(8):
            src.read()
            arrivals.append(time.monotonic())
    finally:
        src.close()
    gaps = [b - a for a, b in zip(arrivals, arrivals[1:])]
    short, long = gaps[0::2], gaps[1::2]  # 40 ms, then 360 ms, as in the file
    # medians: one decode stall on a loaded machine delays a frame, and the next one catches up;
    # count / fps pacing would space every frame 159 ms apart
    assert statistics.median(short) < 0.12 and statistics.median(long) > 0.25, gaps


def test_loop_continues_a_variable_rate_file_after_its_last_frame(tmp_path):
    clip = tmp_path / "vfr.mp4"
    times = make_vfr_clip(clip, GAPS_MS)
    frames = read_all(open_source(str(clip), realtime=False, loop=True), limit=len(times) + 3)
    t = [f.media_time for f in frames]
    assert all(b > a for a, b in zip(t, t[1:]))
    # the next pass starts one interval (the last one seen) after the last frame, then keeps its own times
    step = times[-1] - times[-2]
    assert t[len(times) :] == pytest.approx([times[-1] + step + x for x in times[:3]], abs=1e-3)
