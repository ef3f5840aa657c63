"""A camera that opens and then sends nothing: a real MJPEG server on 127.0.0.1 that hands every
connection one frame and then holds it open, silent.

Each reopen succeeds and yields that one frame; the give-up clock must still run from the last
frame of a producing source, and the attempts must keep counting, so `--reconnect-timeout` ends
the run with exit 1 instead of recording the same frame for ever.
"""

import json
import re
import time

import pytest
from conftest import BOTTLE_CLIP, need
from sources.servers import jpeg_frames, mjpeg_server

from camapp.cli import main
from camapp.pipeline import Pipeline
from camapp.sources.opencv import OpenCVSource


@pytest.fixture(scope="module")
def frames() -> list[bytes]:
    return jpeg_frames(need(BOTTLE_CLIP), 10)


@pytest.fixture()
def frozen(frames):
    with mjpeg_server(frames, fps=25, hang_after=1) as served:
        yield served


def test_a_hung_camera_is_given_up_on_and_its_attempts_keep_counting(frozen, detector):
    src = OpenCVSource(frozen.url, timeout=1.0)  # reads give up after 1 s of silence
    src.open()
    states: list[tuple[str, str]] = []
    results = []
    p = Pipeline(src, detector, reconnect_delay=0.1, reconnect_max_delay=0.2, reconnect_timeout=3.5)
    p.on_state(lambda s: states.append((s.state, s.message)))
    p.on_result(results.append)
    started = time.monotonic()
    p.start()
    assert p.wait(30), "never gave up on a camera that sends nothing"
    took = time.monotonic() - started
    p.stop()
    assert p.stats.state == "error" and " lost: no steady frames for " in p.stats.message
    attempts = [
        int(m[1]) for s, msg in states if s == "reconnecting" for m in [re.search(r"attempt (\d+)", msg)]
    ]
    assert attempts == sorted(attempts) and attempts[-1] >= 2  # a reopen that stalls again is no recovery
    assert frozen.requests >= 2  # it really reopened: each reopen gave the one frame
    assert ("running", "") not in states[1:]  # never said to be back
    assert took < 3.5 + 1.0 + 3.0  # the timeout, one read timeout, slack for a loaded machine
    gaps = [r.resumed for r in results if r.resumed is not None]
    assert gaps and all(g >= 0.1 for g in gaps)  # each reopen's frame ends a gap of at least one backoff


def test_run_exits_1_after_the_timeout_and_logs_the_reconnect(frozen, model_store, tmp_path, capsys):
    """`camapp run` as the issue's boot service sees it: exit 1, "lost" said once, the log marks
    the reconnect and its gap. Reads time out after 5 s, so each reopen's one frame is followed
    by 5 s of silence; the 8 s timeout runs through them."""
    log = tmp_path / "frozen.jsonl"
    argv = ["run", "--headless", "--source", frozen.url, "--reconnect-timeout", "8", "--duration", "60"]
    started = time.monotonic()
    rc = main([*argv, "--log", str(log)])
    took = time.monotonic() - started
    out, err = capsys.readouterr()
    assert rc == 1
    assert took < 30  # not the full --duration 60
    summary = next(line for line in out.splitlines() if line.startswith("summary:"))
    assert "stopped by source lost" in summary
    assert err.count(" lost: ") == 1  # one line for the loss, not two
    assert err.count("(attempt 1)") == 1  # a reopen that yields one frame does not start over
    lines = [json.loads(line) for line in log.read_text().splitlines()]
    frames = [x for x in lines if "frame" in x]
    marks = [x for x in lines if x.get("event") == "reconnected"]
    # the first connection's frame, then each reopen's one frame, each followed by its marker
    assert len(marks) >= 1 and len(frames) == len(marks) + 1
    for before, frame, mark in zip(frames, frames[1:], marks):
        assert lines.index(mark) == lines.index(frame) + 1  # right after the first frame after the gap
        assert mark["t"] == frame["t"] and mark["gap_s"] >= 0.4  # at least the first backoff (0.5 s)
        assert frame["t"] - before["t"] == pytest.approx(mark["gap_s"], abs=0.1)


def test_an_mjpeg_stream_announces_the_rate_it_really_sends(frames):
    """FFmpeg says 25 fps for every MJPEG stream; this one sends 10."""
    with mjpeg_server(frames, fps=10) as served:
        src = OpenCVSource(served.url)
        src.open()
        first = src.read()
        src.close()
    assert src.fps == pytest.approx(10, abs=2)
    assert first.index == 0 and first.image.shape == (360, 640, 3)  # the timed frames are not lost
