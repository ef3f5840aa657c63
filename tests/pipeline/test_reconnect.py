"""The reconnect backoff: the delays really waited between attempts, and when they start over.

The source is real (a clip copied to a temporary folder, removed and put back to make opens fail
and succeed); only the wait is recorded instead of slept, so the delays are seen exactly.
"""

import re
import shutil
import time
from itertools import islice
from pathlib import Path

import pytest
from conftest import PERSON_CLIP, need

from camapp.pipeline.reconnect import Reconnector, backoff
from camapp.sources.opencv import OpenCVSource


def test_backoff_doubles_up_to_the_cap():
    assert list(islice(backoff(0.1, 0.5), 6)) == [0.1, 0.2, 0.4, 0.5, 0.5, 0.5]
    assert list(islice(backoff(1.0, 1.0), 3)) == [1.0, 1.0, 1.0]  # a cap at the first delay holds


class Waits:
    """A `wait` that records each delay; after `stop_after` waits it says the run is stopping.
    `on_wait(n)` runs before answering (to put the source back)."""

    def __init__(self, stop_after: int, on_wait=lambda n: None, sleep: bool = False) -> None:
        self.delays: list[float] = []
        self.stop_after = stop_after
        self.on_wait = on_wait
        self.sleep = sleep

    def __call__(self, seconds: float) -> bool:
        self.delays.append(round(seconds, 6))
        if self.sleep:
            time.sleep(seconds)
        self.on_wait(len(self.delays))
        return len(self.delays) >= self.stop_after


@pytest.fixture()
def clip(tmp_path: Path) -> Path:
    copy = tmp_path / "clip.mp4"
    shutil.copy(need(PERSON_CLIP), copy)
    return copy


def reconnector(src: OpenCVSource, waits: Waits, timeout: float | None = None, states=None) -> Reconnector:
    say = (lambda s, m: states.append((s, m))) if states is not None else (lambda s, m: None)
    return Reconnector(
        src, delay=0.1, max_delay=0.5, timeout=timeout, say=say, wait=waits, running=lambda: True
    )


def test_the_delays_between_failed_opens_double_up_to_the_cap(clip):
    src = OpenCVSource(str(clip))
    src.open()
    clip.unlink()  # every reopen now fails: "video file not found"
    waits = Waits(stop_after=6)
    states: list[tuple[str, str]] = []
    r = reconnector(src, waits, states=states)
    assert r.lost("gone") is False  # stopped by the run, not given up
    assert waits.delays == [0.1, 0.2, 0.4, 0.5, 0.5, 0.5]
    assert [m for s, m in states if s == "reconnecting"][-1].startswith(
        "reconnecting… (attempt 6): video file not found"
    )


def test_the_delays_start_over_once_the_source_produces_again(clip):
    src = OpenCVSource(str(clip))
    src.open()
    moved = clip.with_suffix(".away")
    clip.rename(moved)
    waits = Waits(stop_after=99, on_wait=lambda n: n == 3 and moved.rename(clip))
    r = reconnector(src, waits)
    assert r.lost("gone") is True  # back on the third attempt
    assert waits.delays == [0.1, 0.2, 0.4] and r.attempts == 3 and r.reconnects == 1
    assert r.frame() is not None  # the reopen's first frame ends the gap, for the log
    assert r.attempts == 3  # one frame is not a producing source yet
    src.read()
    assert r.frame() is None and r.attempts == 0  # the second is: the next outage starts over
    clip.rename(moved)
    waits.stop_after = 4  # the run stops during the next wait
    assert r.lost("gone again") is False
    assert waits.delays == [0.1, 0.2, 0.4, 0.1] and r.attempts == 1


def test_a_wait_never_runs_past_the_timeout(clip):
    src = OpenCVSource(str(clip))
    src.open()
    clip.unlink()
    waits = Waits(stop_after=99, sleep=True)
    states: list[tuple[str, str]] = []
    r = reconnector(src, waits, timeout=0.25, states=states)
    r.start()
    assert r.lost("gone") is False
    # 0.1 s, then not the 0.2 s the backoff says but what is left of the 0.25 s; then it gives up
    assert len(waits.delays) == 2 and waits.delays[0] == 0.1 and 0.0 < waits.delays[1] < 0.15
    assert states[-1][0] == "error"
    assert re.fullmatch(
        r"clip.mp4 lost: no steady frames for 0\.[23] s; last: video file not found: .*", states[-1][1]
    )
