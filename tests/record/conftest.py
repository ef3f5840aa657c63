"""Real frames from the shared clips, wrapped in the pipeline's own `Result` for the recorders."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import cv2
import pytest

from camapp.pipeline import Result, Stats
from camapp.types import Detections, Frame


def read_clip(path: Path, count: int, start: int = 0, media_time: bool = True) -> Iterator[Frame]:
    """`count` frames from `start`, stamped like the file source: media_time = position in s."""
    cap = cv2.VideoCapture(str(path))
    assert cap.isOpened(), path
    fps = cap.get(cv2.CAP_PROP_FPS)
    try:
        if start:
            cap.set(cv2.CAP_PROP_POS_FRAMES, start)
        for i in range(start, start + count):
            ok, img = cap.read()
            if not ok:
                return
            t = i / fps
            yield Frame(img, timestamp=1000.0 + t, index=i, media_time=t if media_time else None)
    finally:
        cap.release()


@pytest.fixture()
def clip_results() -> Callable[..., Iterator[Result]]:
    """Results for real clip frames; with `detector`, real detections, else none."""

    def _results(path: Path, count: int, start: int = 0, detector: Any = None, media_time: bool = True):
        for frame in read_clip(path, count, start, media_time):
            dets = detector.detect(frame.image) if detector is not None else Detections.empty()
            size = detector.input_size if detector is not None else 300
            yield Result(frame, dets, Stats(frames=frame.index, input_size=size))

    return _results


@pytest.fixture(scope="session")
def rec_kit():
    """The pipeline's `Result`/`Stats` types and the clip reader, for tests that build results."""
    from types import SimpleNamespace

    return SimpleNamespace(Result=Result, Stats=Stats, read_clip=read_clip)


def decode(path: Path) -> tuple[list[float], Any]:
    """Frame times (s) of every decodable frame, stopping at a truncated tail; and the stream."""
    import av

    times: list[float] = []
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        try:
            for packet in container.demux(stream):
                for frame in packet.decode():
                    times.append(float(frame.pts * frame.time_base))
        except av.error.InvalidDataError:
            pass  # a killed or disk-full file may end in a partial packet; what came before counts
        info = {"codec": stream.codec_context.name, "rate": stream.average_rate}
    return times, info


@pytest.fixture()
def decoded():
    return decode


ROOT = Path(__file__).resolve().parents[2]
CHILD = Path(__file__).with_name("child_record.py")


@pytest.fixture()
def run_child() -> Callable[..., subprocess.Popen]:
    """Start `child_record.py` (a real recording process) with the given arguments."""

    def _run(*args: str, user_unwritable: bool = False) -> subprocess.Popen:
        cmd = [sys.executable, str(CHILD), *args]
        if user_unwritable and os.geteuid() == 0:
            # Root writes anywhere; without CAP_DAC_OVERRIDE it obeys file modes like any user.
            setpriv = shutil.which("setpriv")
            if setpriv is None:
                pytest.skip("running as root without setpriv: cannot make a directory unwritable")
            cmd = [setpriv, "--inh-caps=-dac_override", "--bounding-set=-dac_override", *cmd]
        env = dict(os.environ, PYTHONPATH=str(ROOT))
        return subprocess.Popen(
            cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT, env=env
        )

    return _run
