"""`camapp run --headless` end to end on the real clips with the real model."""

import json
import os
import re
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import cv2
import pytest
from conftest import PERSON_CLIP, ROOT, need
from support.cli import in_folder, run_refused

from camapp.cli import main
from camapp.record.finalize import mp4_kind


def camapp(*args: str) -> list[str]:
    return [sys.executable, "-m", "camapp", *args]


def count_frames(path: Path) -> int:
    cap = cv2.VideoCapture(str(path))
    n = 0
    while cap.read()[0]:
        n += 1
    cap.release()
    return n


def test_run_on_the_person_clip_detects_people_and_prints_stats(model_store, capsys):
    rc = main(
        ["run", "--headless", "--source", str(need(PERSON_CLIP)), "--max-frames", "150"]
        + ["--no-realtime", "--stats-every", "0.2"]
    )
    out = capsys.readouterr().out
    assert rc == 0
    assert "source: one-by-one-person-detection.mp4 (768x432, 10 fps)" in out
    assert "summary: 150 frames" in out and "dropped 0" in out and "stopped by --max-frames 150" in out
    stats_lines = [line for line in out.splitlines() if line.startswith("running")]
    assert stats_lines and "inference" in stats_lines[0] and "latency" in stats_lines[0]
    seen = next(line for line in out.splitlines() if line.startswith("frames with:"))
    people = int(seen.split("person ")[1].split(",")[0])
    assert people > 50  # people walk through the room in these 15 s


@pytest.mark.parametrize(
    "source,reason",
    [
        ("7", "camera 7 cannot be opened"),
        ("{tmp}/missing.mp4", "video file not found"),
        ("{tmp}/notes.mp4", "not a video OpenCV can decode"),
        ("http://127.0.0.1:9/stream.mjpg", "unreachable or not a video stream"),
    ],
)
def test_bad_source_exits_2_with_one_line(tmp_path, capsys, source, reason):
    (tmp_path / "notes.mp4").write_text("not a video\n" * 50)
    rc = main(["run", "--headless", "--source", source.format(tmp=tmp_path)])
    err = capsys.readouterr().err.strip().splitlines()
    assert rc == 2
    assert len(err) == 1 and err[0].startswith("camapp: error: ") and reason in err[0]


@pytest.mark.parametrize(
    "extra,reason",
    [
        (["--classes", "unicorn"], "unknown class 'unicorn'"),
        (["--record-on", "unicorn"], "unknown class 'unicorn'"),
        (["--record", "{tmp}/nodir/out.mp4"], "cannot write"),
        (["--device", "edgetpu", "--no-fallback"], "edgetpu"),
        (["--target-fps", "10"], "--target-fps goes with --input-size auto"),
        (["--snapshot-every", "2"], "--snapshot-every goes with --snapshot-dir"),
        (["--record", "{tmp}/same.mp4", "--log", "{tmp}/same.mp4"], "must name different files"),
        (["--input-size", "100000"], "too large"),
        (["--schedule", "throughput", "--device", "edgetpu"], "--schedule throughput runs on the CPU"),
    ],
)
def test_bad_options_exit_2_with_one_line(model_store, tmp_path, capsys, extra, reason):
    run_refused(capsys, in_folder(extra, tmp_path), reason)


def test_record_log_and_snapshots_are_wired(model_store, tmp_path, capsys):
    video, log, snaps, events = (
        tmp_path / "out.mp4",
        tmp_path / "log.jsonl",
        tmp_path / "snaps",
        tmp_path / "ev",
    )
    rc = main(
        ["run", "--headless", "--source", str(need(PERSON_CLIP)), "--no-realtime", "--max-frames", "120"]
        + ["--record", str(video), "--log", str(log), "--snapshot-dir", str(snaps), "--snapshot-every", "5"]
        + ["--record-on", "person", "--record-dir", str(events), "--threshold", "0.4"]
    )
    out = capsys.readouterr().out
    assert rc == 0, out
    assert count_frames(video) == 120
    lines = [json.loads(line) for line in log.read_text().splitlines()]
    assert len(lines) == 120
    assert any(d["label"] == "person" for line in lines for d in line["detections"])
    assert len(list(snaps.iterdir())) >= 2  # 12 s of clip, one every 5 s
    clips = list(events.glob("*.mp4"))
    assert clips and all(count_frames(c) > 0 for c in clips)
    assert f"recording {video}: ok" in out
    # --max-frames ends the run cleanly: the recording and every clip are finalized (seekable)
    assert [mp4_kind(p) for p in [video, *clips]] == ["regular"] * (1 + len(clips))


def test_no_realtime_runs_lanes_that_log_what_the_latency_schedule_logs(model_store, tmp_path, capsys):
    """--no-realtime picks frame-parallel lanes; frame for frame they find the same things."""
    logs = {}
    for schedule, plan in (("auto", "2 lanes of 1 thread"), ("latency", "2 threads")):
        logs[schedule] = tmp_path / f"{schedule}.jsonl"
        rc = main(
            ["run", "--headless", "--source", str(need(PERSON_CLIP)), "--no-realtime", "--max-frames", "100"]
            + ["--threads", "2", "--schedule", schedule, "--log", str(logs[schedule])]
        )
        out = capsys.readouterr().out
        assert rc == 0 and f"model: cpu, {plan}, input 300" in out, out
    lines = {k: [json.loads(line) for line in p.read_text().splitlines()] for k, p in logs.items()}
    assert [x["frame"] for x in lines["auto"]] == list(range(100))
    assert [x["detections"] for x in lines["auto"]] == [x["detections"] for x in lines["latency"]]
    assert sum(bool(x["detections"]) for x in lines["auto"]) > 30


def test_input_size_auto_steps_down_when_the_target_is_out_of_reach(model_store, capsys):
    rc = main(
        ["run", "--headless", "--source", str(need(PERSON_CLIP)), "--no-realtime", "--max-frames", "250"]
        + ["--input-size", "auto", "--target-fps", "1000"]
    )
    out = capsys.readouterr().out
    assert rc == 0
    summary = next(line for line in out.splitlines() if line.startswith("summary:"))
    final = int(summary.split("| input ")[1].split()[0])
    assert final < 300


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM, signal.SIGHUP])
def test_signal_stops_cleanly_and_finalizes_the_recording(model_store, tmp_path, sig):
    video = tmp_path / "live.mp4"
    proc = subprocess.Popen(
        camapp("run", "--headless", "--source", str(need(PERSON_CLIP)), "--record", str(video))
        + ["--stats-every", "0.5"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert proc.stdout is not None
    deadline = time.monotonic() + 60
    for line in proc.stdout:  # wait until frames are flowing: 10 processed (a loaded machine is slow)
        done = re.search(r"\| frames (\d+) \|", line)
        if (line.startswith("running") and done and int(done.group(1)) >= 10) or time.monotonic() > deadline:
            break
    time.sleep(0.5)
    proc.send_signal(sig)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    assert f"stopped by {sig.name}" in out and "Traceback" not in err
    assert count_frames(video) >= 5
    assert mp4_kind(video) == "regular"  # finalized before exiting
    assert sorted(p.name for p in tmp_path.iterdir()) == ["live.mp4"]


def test_duration_stops_a_looping_file(model_store, capsys):
    t0 = time.monotonic()
    rc = main(["run", "--headless", "--source", str(need(PERSON_CLIP)), "--loop", "--duration", "2"])
    assert rc == 0 and time.monotonic() - t0 < 30
    assert "stopped by --duration 2 s" in capsys.readouterr().out


def test_run_without_headless_points_to_the_app(capsys):
    assert main(["run", "--source", "0"]) == 2
    assert "needs --headless" in capsys.readouterr().err


def test_schedule_auto_uses_lanes_only_for_a_file_read_as_fast_as_possible(monkeypatch):
    from argparse import Namespace

    from camapp.cli.common import lanes_for
    from camapp.errors import CamappError

    monkeypatch.setattr(os, "sched_getaffinity", lambda _pid: {0, 1})  # a 2-core machine

    def lanes(realtime, schedule="auto", device="cpu", threads=None):
        return lanes_for(Namespace(schedule=schedule, device=device, threads=threads), realtime)

    assert lanes(realtime=False) == 2 and lanes(realtime=False, threads=1) == 1
    assert lanes(realtime=True) == 1  # a camera, a stream or a file at its own rate
    assert lanes(realtime=False, schedule="latency") == 1
    assert lanes(realtime=True, schedule="throughput") == 2
    assert lanes(realtime=False, threads=8) == 2  # never more lanes than cores
    assert lanes(realtime=False, device="edgetpu") == 1
    with pytest.raises(CamappError, match="--schedule throughput runs on the CPU"):
        lanes(realtime=False, schedule="throughput", device="edgetpu:usb:0")


def test_a_live_stream_keeps_one_interpreter_even_with_no_realtime(model_store, capsys):
    """--no-realtime does not make a camera or stream wait: it stays real-time, so auto = latency."""
    from tests.sources.test_stream import MJPEGServer

    cap = cv2.VideoCapture(str(need(PERSON_CLIP)))
    frames = [cv2.imencode(".jpg", cap.read()[1])[1].tobytes() for _ in range(10)]
    cap.release()
    server = MJPEGServer(frames)
    server.start()
    try:
        rc = main(["run", "--headless", "--source", server.url, "--no-realtime", "--max-frames", "5"])
    finally:
        server.stop()
    out = capsys.readouterr().out
    assert rc == 0 and "summary: 5 frames" in out
    assert f"model: cpu, {os.cpu_count()} threads, input 300" in out and "lanes" not in out


def test_a_recording_that_keeps_too_few_frames_says_so_and_fails_the_run(tmp_path, capsys):
    """A recorder that cannot keep up (4K on a small Pi) drops frames from its queue: below 90%
    kept, the summary and stderr say so and the run exits 1. Real recorder, flooded."""
    from camapp.cli.run import outcome, summarize
    from camapp.pipeline import Result, Stats
    from camapp.record import VideoRecorder
    from camapp.session.status import output_status
    from camapp.types import Detections
    from tests.record.conftest import read_clip

    results = [Result(f, Detections.empty(), Stats(frames=f.index)) for f in read_clip(need(PERSON_CLIP), 40)]
    rec = VideoRecorder(tmp_path / "slow.mp4", queue_size=2)
    for r in results:
        rec.submit(r)  # far faster than encoding: most are dropped
    rec.close()
    out = output_status("video", rec, False)
    kept = rec.frames_written
    assert 0 < kept < 36 and out["frames"] + out["dropped"] == 40
    status = {"stats": {**STATS, "state": "stopped"}, "outputs": [out]}
    summarize(status, 4.0, "end of input", Counter())
    captured = capsys.readouterr()
    assert (
        f"recording {rec.path}: kept {kept} of 40 frames ({100 * kept / 40:.0f}%), too slow to keep up"
        in (captured.out)
    )
    assert f"camapp: recording {rec.path} kept {kept} of 40 frames" in captured.err
    assert outcome(status) == 1


@pytest.mark.parametrize(
    "frames,dropped,lost,fails", [(90, 10, 0, False), (89, 11, 0, True), (80, 20, 15, False)]
)
def test_the_90_percent_rule_at_its_boundary(frames, dropped, lost, fails):
    """Exactly 90% kept passes; frames lost while paused on a full disk are the pause's to report."""
    from camapp.cli.run import kept_too_few, outcome

    out = {
        "slot": "video",
        "frames": frames,
        "dropped": dropped,
        "frames_lost": lost,
        "error": None,
        "pauses": 0,
    }
    assert bool(kept_too_few(out)) is fails
    assert outcome({"stats": {"state": "stopped"}, "outputs": [out]}) == int(fails)
    assert kept_too_few({**out, "slot": "log"}) is None  # a rule for the video recording


STATS = {"frames": 40, "dropped": 0, "infer_ms": 5.0, "infer_ms_p95": 6.0, "input_size": 300}
