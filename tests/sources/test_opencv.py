"""OpenCV sources on the real shared clips, and the one-line errors for sources that cannot work."""

import socket
import time
from pathlib import Path

import numpy as np
import pytest
from conftest import BOTTLE_CLIP, PERSON_CLIP, need

from camapp.errors import SourceError
from camapp.sources import make_source, open_source, source_kind
from camapp.sources.opencv import classify


def test_file_reports_what_it_delivers():
    src = open_source(str(need(PERSON_CLIP)), realtime=False)
    try:
        assert src.name == PERSON_CLIP.name
        assert src.fps == pytest.approx(10.0)
        assert src.size == (768, 432)
        assert src.frame_count == 1394
        assert src.live is False
    finally:
        src.close()


def test_file_frames_are_stamped_with_index_media_time_and_monotonic_time():
    src = open_source(str(need(PERSON_CLIP)), realtime=False)
    frames = [src.read() for _ in range(5)]
    src.close()
    assert [f.index for f in frames] == [0, 1, 2, 3, 4]
    assert [f.media_time for f in frames] == pytest.approx([0.0, 0.1, 0.2, 0.3, 0.4])
    stamps = [f.timestamp for f in frames]
    assert stamps == sorted(stamps) and stamps[-1] <= time.monotonic()
    assert frames[0].image.shape == (432, 768, 3)


def test_realtime_file_plays_at_its_own_rate_and_no_realtime_does_not():
    elapsed = {}
    for realtime in (True, False):
        src = open_source(str(need(PERSON_CLIP)), realtime=realtime)
        t0 = time.monotonic()
        frames = [src.read() for _ in range(11)]  # 1.0 s of a 10 fps clip
        elapsed[realtime] = time.monotonic() - t0
        src.close()
        assert frames[-1].media_time == pytest.approx(1.0)
    assert elapsed[True] >= 0.95
    assert elapsed[False] < elapsed[True]


def test_reads_every_frame_then_none_at_the_end():
    src = open_source(str(need(BOTTLE_CLIP)), realtime=False)
    count = 0
    while src.read() is not None:
        count += 1
    assert count == src.frame_count == 1189
    assert src.read() is None
    src.close()


def test_loop_restarts_the_file_and_keeps_time_running():
    src = open_source(str(need(PERSON_CLIP)), realtime=False, loop=True)
    first = src.read()
    frames = [src.read() for _ in range(1394 + 2)]
    src.close()
    assert all(f is not None for f in frames)
    second_pass = frames[1393]  # index 1394: the first frame again
    assert second_pass.index == 1394
    assert second_pass.media_time == pytest.approx(139.4)
    assert np.array_equal(second_pass.image, first.image)
    times = [f.media_time for f in frames]
    assert all(b > a for a, b in zip(times, times[1:]))


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _bad_sources(tmp: Path) -> list[tuple[str, str]]:
    text = tmp / "notes.mp4"
    text.write_text("this is not a video\n" * 100)
    port = _closed_port()
    return [
        ("7", "camera 7 cannot be opened"),
        ("/dev/video42", "camera /dev/video42 not found"),
        (str(tmp / "missing.mp4"), "video file not found"),
        (str(text), "not a video OpenCV can decode"),
        (str(tmp), "not a video file"),
        (f"http://127.0.0.1:{port}/stream.mjpg", "unreachable or not a video stream"),
        (f"rtsp://127.0.0.1:{port}/live", "unreachable or not a video stream"),
        ("", "empty source"),
    ]


def test_bad_sources_fail_at_open_with_one_line(tmp_path):
    assert not Path("/dev/video7").exists(), "this test assumes there is no camera 7"
    for spec, reason in _bad_sources(tmp_path):
        with pytest.raises(SourceError) as err:
            open_source(spec)
        message = str(err.value)
        assert reason in message, spec
        assert "\n" not in message and len(message) < 200


@pytest.mark.parametrize(
    "spec,kind",
    [
        ("0", "camera"),
        ("/dev/video2", "camera"),
        ("clip.mp4", "file"),
        ("file:///tmp/clip.mp4", "file"),
        ("rtsp://10.0.0.2/live", "stream"),
        ("http://cam.local/video.mjpg", "stream"),
        ("videotestsrc ! videoconvert ! appsink", "gstreamer"),
    ],
)
def test_specs_are_classified(spec, kind):
    assert classify(spec) == kind
    assert source_kind(spec) == "opencv"


def test_picam_specs_go_to_the_picamera_kind():
    assert source_kind("picam") == source_kind("picam:1") == "picam"


def test_make_source_does_not_open():
    src = make_source(str(need(PERSON_CLIP)))
    assert src.size is None and src.fps is None
    src.open()
    assert src.size == (768, 432)
    src.close()
