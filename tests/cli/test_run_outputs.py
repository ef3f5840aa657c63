"""`camapp run` never destroys its input or another run's file, and logs/records the media's own times.

Real model, real clips, real processes for the two-writer case, a real loopback MJPEG server for
the lost stream.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import signal
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import av
import cv2
import numpy as np
import pytest
from conftest import BOTTLE_CLIP, IMAGES, PERSON_CLIP, make_vfr_clip, need

from camapp.cli import main


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture()
def clip(tmp_path: Path) -> Path:
    """A copy of the bottle clip the test may lose (it must not)."""
    dst = tmp_path / "clip.mp4"
    dst.write_bytes(need(BOTTLE_CLIP).read_bytes())
    return dst


def run(*args: str) -> int:
    return main(["run", "--headless", "--max-frames", "3", "--no-realtime", *args])


@pytest.mark.parametrize("flag", ["--record", "--log"])
@pytest.mark.parametrize("name", ["clip.mp4", "./clip.mp4", "sub/../clip.mp4", "link.mp4", "hard.mp4"])
def test_an_output_onto_the_source_is_refused_and_the_source_kept(
    model_store, clip, tmp_path, monkeypatch, capsys, flag, name
):
    (tmp_path / "sub").mkdir()
    (tmp_path / "link.mp4").symlink_to(clip)
    os.link(clip, tmp_path / "hard.mp4")
    before = digest(clip)
    monkeypatch.chdir(tmp_path)
    for extra in ([], ["--overwrite"]):
        rc = run("--source", "clip.mp4", flag, name, *extra)
        err = capsys.readouterr().err.strip().splitlines()
        assert rc == 2
        assert len(err) == 1 and "is an input of this run" in err[0], err
    assert digest(clip) == before


def test_the_model_and_labels_are_inputs_too(model_store, model_path, clip, capsys):
    labels = model_path.parent / "labelmap.txt"
    before = digest(labels)
    assert run("--source", str(clip), "--log", str(labels), "--overwrite") == 2
    assert "is an input of this run" in capsys.readouterr().err
    assert digest(labels) == before


def test_an_existing_output_needs_overwrite(model_store, clip, tmp_path, capsys):
    old = tmp_path / "old.mp4"
    old.write_bytes(b"last week's recording")
    log = tmp_path / "old.jsonl"
    log.write_text("keep me\n")
    for flag, path in (("--record", old), ("--log", log)):
        assert run("--source", str(clip), flag, str(path)) == 2
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and "already exists: choose another name, or pass --overwrite" in err[0]
    assert old.read_bytes() == b"last week's recording" and log.read_text() == "keep me\n"
    assert run("--source", str(clip), "--record", str(old), "--log", str(log), "--overwrite") == 0
    assert len(log.read_text().splitlines()) == 3
    with av.open(str(old)) as c:
        assert sum(1 for _ in c.decode(video=0)) == 3


def camapp_cmd(*args: str) -> list[str]:
    return [sys.executable, "-m", "camapp", *args]


def test_a_second_run_on_the_same_record_file_exits_2_and_the_first_file_stays_whole(
    model_store, clip, tmp_path
):
    out = tmp_path / "shared.mp4"
    log = tmp_path / "shared.jsonl"
    env = {**os.environ, "CAMAPP_MODEL_DIR": str(model_store)}
    first = subprocess.Popen(
        camapp_cmd("run", "--headless", "--source", str(clip), "--record", str(out), "--log", str(log))
        + ["--duration", "120", "--threads", "1", "--loop"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        deadline = time.monotonic() + 60
        while not (out.exists() and out.stat().st_size > 0) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert out.exists(), "first run never started recording"
        for extra in ([], ["--overwrite"]):
            for flag, path in (("--record", out), ("--log", log)):
                second = subprocess.run(
                    camapp_cmd(
                        "run", "--headless", "--source", str(clip), flag, str(path), "--max-frames", "3"
                    )
                    + extra,
                    capture_output=True,
                    text=True,
                    env=env,
                    timeout=120,
                )
                assert second.returncode == 2, second.stderr
                lines = second.stderr.strip().splitlines()
                assert len(lines) == 1 and "is being written by another run" in lines[0], lines
        assert first.poll() is None, "the first run must still be writing"
        first.send_signal(signal.SIGINT)  # a clean stop: the recording is finalized
        stdout, stderr = first.communicate(timeout=120)
    finally:
        first.kill()
    assert first.returncode == 0, stderr
    assert f"recording {out}: ok" in stdout
    with av.open(str(out)) as c:
        decoded = sum(1 for _ in c.decode(video=0))
    logged = len(log.read_text().splitlines())
    assert decoded == logged > 30  # the first run's files are whole: every frame it logged, it recorded


def test_log_and_recording_carry_a_variable_rate_files_own_times(model_store, tmp_path, capsys):
    clip = tmp_path / "vfr.mp4"
    times = make_vfr_clip(clip, [40, 360])
    log, rec = tmp_path / "vfr.jsonl", tmp_path / "rec.mkv"
    rc = main(
        ["run", "--headless", "--source", str(clip), "--no-realtime", "--log", str(log), "--record", str(rec)]
    )
    assert rc == 0, capsys.readouterr()
    logged = [json.loads(line)["t"] for line in log.read_text().splitlines()]
    assert logged == pytest.approx(times, abs=1e-3)
    with av.open(str(rec)) as c:
        stream = c.streams.video[0]
        recorded = sorted(float(f.pts * stream.time_base) for f in c.decode(video=0))
    assert recorded == pytest.approx(times, abs=2e-3)


@pytest.mark.parametrize("value", ["", ",,", " , "])
def test_an_empty_record_on_is_a_usage_error_that_says_so(model_store, capsys, value):
    with pytest.raises(SystemExit) as exc:
        main(
            [
                "run",
                "--headless",
                "--source",
                str(need(PERSON_CLIP)),
                "--max-frames",
                "1",
                "--record-on",
                value,
            ]
        )
    err = capsys.readouterr().err.strip().splitlines()
    assert exc.value.code == 2
    assert len(err) == 1 and "--record-on" in err[0] and "names no class" in err[0]


def one_frame_clip(path: Path) -> Path:
    cap = cv2.VideoCapture(str(need(PERSON_CLIP)))
    image = cap.read()[1]
    cap.release()
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), 10, (image.shape[1], image.shape[0]))
    writer.write(image)
    writer.release()
    return path


@pytest.mark.parametrize("kind", ["image", "one-frame video"])
def test_loop_repeats_a_single_frame_source(model_store, tmp_path, capsys, kind):
    source = need(IMAGES / "pets.jpg") if kind == "image" else one_frame_clip(tmp_path / "one.mp4")
    log = tmp_path / "loop.jsonl"
    rc = main(
        ["run", "--headless", "--source", str(source), "--loop", "--max-frames", "6", "--log", str(log)]
    )
    out = capsys.readouterr().out
    assert rc == 0 and "summary: 6 frames" in out and "stopped by --max-frames 6" in out, out
    t = [json.loads(line)["t"] for line in log.read_text().splitlines()]
    assert len(t) == 6 and all(b > a for a, b in zip(t, t[1:]))  # time runs on across repeats


class _MJPEG(BaseHTTPRequestHandler):
    jpg = b""
    alive = True

    def log_message(self, *args: object) -> None:
        pass

    def do_GET(self) -> None:  # noqa: N802
        self.send_response(200)
        self.send_header("Content-Type", "multipart/x-mixed-replace; boundary=frame")
        self.end_headers()
        try:
            while _MJPEG.alive:
                head = b"--frame\r\nContent-Type: image/jpeg\r\nContent-Length: %d\r\n\r\n" % len(self.jpg)
                self.wfile.write(head + self.jpg + b"\r\n")
                time.sleep(0.04)
        except (BrokenPipeError, ConnectionResetError):
            pass


def test_a_lost_stream_says_source_lost_on_stderr(model_store, capsys):
    _MJPEG.jpg = (need(IMAGES / "pets.jpg")).read_bytes()
    _MJPEG.alive = True
    server = ThreadingHTTPServer(("127.0.0.1", 0), _MJPEG)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()

    def drop() -> None:
        _MJPEG.alive = False
        server.shutdown()
        server.server_close()

    timer = threading.Timer(3.0, drop)
    timer.start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/stream.mjpg"
        rc = main(["run", "--headless", "--source", url, "--reconnect-timeout", "1", "--duration", "60"])
    finally:
        timer.cancel()
        drop()
    out, err = capsys.readouterr()
    assert rc == 1
    summary = next(line for line in out.splitlines() if line.startswith("summary:"))
    assert "stopped by source lost" in summary and "end of input" not in out
    assert "lost" in err and "lost" not in out.replace("source lost", "")


def tiny_clip(path: Path, size: int = 1, frames: int = 20) -> Path:
    """A real MJPEG clip of `size` x `size` pixels (OpenCV reads it; H.264 cannot hold it)."""
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 10, (size, size))
    assert writer.isOpened()
    for i in range(frames):
        writer.write(np.full((size, size, 3), i * 10, np.uint8))
    writer.release()
    return path


def test_a_1x1_source_leaves_no_empty_recording(model_store, tmp_path, capsys):
    out = tmp_path / "r.mp4"
    rc = main(
        ["run", "--headless", "--no-realtime", "--source", str(tiny_clip(tmp_path / "one.avi"))]
        + ["--record", str(out)]
    )
    captured = capsys.readouterr()
    assert rc == 1 and not out.exists() and sorted(p.name for p in tmp_path.iterdir()) == ["one.avi"]
    line = next(x for x in captured.out.splitlines() if x.startswith("recording "))
    assert line.startswith(f"recording {out}: stopped: ") and "ok" not in line
    assert "Traceback" not in captured.err


def test_a_busy_web_port_exits_2_before_any_recording_starts(model_store, tmp_path, capsys):
    """A retry with the same --record FILE must not fail with "already exists"."""
    import socket

    out = tmp_path / "r.mp4"
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        args = ["--source", str(need(PERSON_CLIP)), "--record", str(out), "--web", str(port)]
        rc = run(*args)
        captured = capsys.readouterr()
        err = captured.err.strip().splitlines()
        assert rc == 2 and err == [f"camapp: error: --web 127.0.0.1:{port}: the port is already in use"]
        assert not out.exists() and list(tmp_path.iterdir()) == []
        assert captured.out == ""  # said before the source opened ("source: ...") and the model loaded
    assert run(*args[:-2]) == 0 and out.exists()  # the retry (port free now, here without --web)


def test_log_in_a_missing_folder_makes_it_as_record_dir_does(model_store, tmp_path, capsys):
    log = tmp_path / "logs" / "2026" / "det.jsonl"
    assert run("--source", str(need(PERSON_CLIP)), "--log", str(log)) == 0
    assert len(log.read_text().splitlines()) == 3 and "detection log" in capsys.readouterr().out
    (tmp_path / "file").write_text("")
    assert run("--source", str(need(PERSON_CLIP)), "--log", str(tmp_path / "file" / "det.jsonl")) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "cannot create the folder" in err[0]


def test_a_refused_log_beside_a_recording_is_one_line_and_leaves_no_file(
    model_store, tmp_path, capsys, caplog
):
    """The recording was set up before the log was refused: it goes without a word or a file."""
    (tmp_path / "l.jsonl").write_text("")
    with caplog.at_level(logging.INFO, logger="camapp"):
        rc = run(
            "--source",
            str(need(PERSON_CLIP)),
            "--record",
            str(tmp_path / "r.mp4"),
            "--log",
            str(tmp_path / "l.jsonl"),
        )
    err = capsys.readouterr().err.strip().splitlines()
    assert rc == 2 and len(err) == 1 and "already exists" in err[0]
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["l.jsonl"]
