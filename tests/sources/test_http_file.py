"""An http:// link to a video file is a file: paced at its own rate, timed from the stream, ending
at its end, looping with --loop; one that such a server cannot deliver is one line and exit 2.

The servers are real local web servers (127.0.0.1), with and without byte ranges; the clips are
made here from the person sample with PyAV, with the index at the front (as web video should be)
and at the end (the default of most muxers).
"""

import json
import time
from pathlib import Path

import av
import pytest
from conftest import PERSON_CLIP, need
from sources.servers import file_server

from camapp.cli import main
from camapp.sources.opencv import OpenCVSource

FRAMES = 30  # at 10 fps: 3 s


def make_clip(out: Path, index_first: bool) -> Path:
    src = av.open(str(need(PERSON_CLIP)))
    dst = av.open(str(out), "w", options={"movflags": "faststart"} if index_first else {})
    stream = dst.add_stream("libx264", rate=10)
    stream.width, stream.height, stream.pix_fmt = 768, 432, "yuv420p"
    for i, frame in enumerate(src.decode(video=0)):
        if i == FRAMES:
            break
        for packet in stream.encode(frame.reformat(format="yuv420p")):
            dst.mux(packet)
    for packet in stream.encode():
        dst.mux(packet)
    dst.close()
    src.close()
    data = out.read_bytes()
    assert (data.find(b"moov") < data.find(b"mdat")) == index_first
    return out


@pytest.fixture(scope="module")
def clips(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("web")
    return {
        "front": make_clip(folder / "front.mp4", index_first=True),
        "end": make_clip(folder / "end.mp4", index_first=False),
    }


@pytest.mark.parametrize(("clip", "ranges"), [("front", False), ("front", True), ("end", True)])
def test_a_served_file_plays_at_its_own_rate_and_ends(clips, clip, ranges):
    with file_server(clips[clip], ranges=ranges) as served:
        src = OpenCVSource(served.url)  # realtime, as `camapp run` reads a file by default
        src.open()
        assert not src.live and src.realtime and src.fps == 10 and src.frame_count == FRAMES
        started = time.monotonic()
        frames = []
        while (frame := src.read()) is not None:
            frames.append(frame)
        took = time.monotonic() - started
        src.close()
        assert [f.media_time for f in frames] == pytest.approx([i / 10 for i in range(FRAMES)])
        assert took >= 2.6  # paced: 29 intervals of 0.1 s, not as fast as it downloads
        assert served.requests <= 3  # a look at the headers, the open, a seek for the index


def test_a_served_file_without_a_video_type_is_a_file_by_its_duration(clips):
    with file_server(clips["front"], ranges=True, content_type="application/octet-stream") as served:
        src = OpenCVSource(served.url, realtime=False)
        src.open()  # no video type: the container's duration says it is a file
        assert not src.live and not src.realtime and src.frame_count == FRAMES
        src.close()


def test_run_reads_a_served_file_whole_and_exits_0(clips, model_store, tmp_path, capsys):
    log = tmp_path / "web.jsonl"
    with file_server(clips["front"], ranges=False) as served:
        rc = main(["run", "--headless", "--source", served.url, "--no-realtime", "--log", str(log)])
    out = capsys.readouterr().out
    assert rc == 0
    summary = next(line for line in out.splitlines() if line.startswith("summary:"))
    assert summary.startswith(f"summary: {FRAMES} frames") and "| dropped 0 |" in summary
    assert "stopped by end of input" in summary
    times = [x["t"] for x in map(json.loads, log.read_text().splitlines()) if "frame" in x]
    assert times == pytest.approx([i / 10 for i in range(FRAMES)])  # the stream's times, not the clock's


def test_run_loops_a_served_file(clips, model_store, tmp_path):
    log = tmp_path / "loop.jsonl"
    with file_server(clips["front"], ranges=True) as served:
        argv = ["run", "--headless", "--source", served.url, "--no-realtime", "--loop", "--max-frames", "45"]
        assert main([*argv, "--log", str(log)]) == 0
    lines = [json.loads(x) for x in log.read_text().splitlines()]
    assert [x["frame"] for x in lines] == list(range(45))
    assert [x["t"] for x in lines] == pytest.approx([i / 10 for i in range(45)])  # time runs on


def test_a_file_the_server_cannot_deliver_is_one_line_and_exit_2(clips, model_store, capsys):
    """The index at the end and a server that sends only the whole file: nothing can be read."""
    with file_server(clips["end"], ranges=False) as served:
        rc = main(["run", "--headless", "--source", served.url, "--duration", "30"])
    out, err = capsys.readouterr()
    assert rc == 2
    assert err.count("\n") == 1 and "Traceback" not in err
    assert "no byte ranges" in err and "+faststart" in err
    assert "summary:" not in out
