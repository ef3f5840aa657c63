"""DetectionLog: JSON Lines of real detections, flushed while running, survives kill -9."""

from __future__ import annotations

import json
import signal
import time

import pytest
from conftest import PERSON_CLIP, need

from camapp.record import DetectionLog
from camapp.types import Frame


def read_lines(path):
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_one_line_per_frame_with_source_pixel_boxes(tmp_path, clip_results, detector):
    results = list(clip_results(need(PERSON_CLIP), 12, start=100, detector=detector))
    log = DetectionLog(tmp_path / "d.jsonl")
    for r in results:
        log.submit(r)
    log.close()
    lines = read_lines(log.path)
    assert len(lines) == 12 == log.lines
    for line, r in zip(lines, results):
        assert set(line) == {"frame", "t", "input_size", "detections"}
        assert line["frame"] == r.frame.index
        assert line["t"] == pytest.approx(r.frame.media_time, abs=1e-4)
        assert line["input_size"] == detector.input_size
        assert line["detections"] == r.detections.to_list()  # what `camapp detect --json` prints
    people = [d for line in lines for d in line["detections"] if d["label"] == "person"]
    assert people
    assert all(
        0 <= d["box"][0] < d["box"][2] <= 768 and 0 <= d["box"][1] < d["box"][3] <= 432 for d in people
    )


def test_lines_reach_the_file_while_running(tmp_path, clip_results, rec_kit):
    """Without close(): the writer flushes on its own, so a crash loses at most ~flush_every."""
    frames = list(rec_kit.read_clip(need(PERSON_CLIP), 5, media_time=False))
    log = DetectionLog(tmp_path / "live.jsonl", flush_every=0.2)
    for r in clip_results(PERSON_CLIP, 5, media_time=False):
        log.submit(r)
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and len(log.path.read_text().splitlines()) < 5:
        time.sleep(0.05)
    lines = read_lines(log.path)
    log.close()
    assert [line["frame"] for line in lines] == [f.index for f in frames]
    # No file position: t counts from the first logged frame.
    assert [line["t"] for line in lines] == pytest.approx([f.timestamp - frames[0].timestamp for f in frames])
    assert isinstance(frames[0], Frame)


def test_kill_9_loses_at_most_about_a_second(tmp_path, run_child):
    out = tmp_path / "killed.jsonl"
    child = run_child(str(need(PERSON_CLIP)), str(out), "--kind", "log", "--pace", "20")
    submitted = None
    for line in child.stdout:
        parts = line.split()
        if parts[0] == "frame" and int(parts[1]) >= 40:
            submitted = int(parts[1])
            child.send_signal(signal.SIGKILL)
            break
    child.wait(timeout=30)
    assert child.returncode == -signal.SIGKILL
    lines = out.read_text().splitlines()
    assert len(lines) >= submitted - 20  # 20 frames = 1 s at the child's pace
    assert [json.loads(x)["frame"] for x in lines] == list(range(len(lines)))


def test_full_disk_stops_the_log_caller_goes_on(tmp_path, run_child):
    out = tmp_path / "full.jsonl"
    child = run_child(
        str(need(PERSON_CLIP)), str(out), "--kind", "log", "--frames", "60", "--pace", "60", "--fsize", "3000"
    )
    stdout, err = child.communicate(timeout=120)
    assert child.returncode == 0, err
    summary = json.loads(stdout.splitlines()[-1])
    assert summary["submitted"] == 60
    assert summary["error"] == f"detection log {out} stopped: File too large"
    assert err.strip().splitlines() == [f"camapp: {summary['error']}"]
