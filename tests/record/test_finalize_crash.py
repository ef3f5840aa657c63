"""kill -9 while recording and while finalizing, in real processes: what is left on disk decodes to the
frames written, and `camapp record finalize` (a real CLI process) then makes it seekable.

Frames carry their index drawn into them (`tests/record/marks.py`), so a decoded file says exactly
which frames it holds. The finalize step is hit deterministically through the test hook
`CAMAPP_TEST_FINALIZE_PAUSE` (`camapp.record.finalize.PAUSE_ENV`): the child stops inside finalize,
says so on stderr, and is killed there.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys

import av
import pytest
from conftest import PERSON_CLIP, ROOT, need

from camapp.record.finalize import PAUSE_ENV, mp4_kind, temp_path
from tests.record.marks import index_of


def indices(path):
    out = []
    with av.open(str(path)) as c:
        try:
            for f in c.decode(video=0):
                out.append(index_of(f.to_ndarray(format="bgr24")))
        except av.error.InvalidDataError:
            pass  # a file cut off by the kill ends in a partial packet
    return out


def finalize_cli(*files):
    return subprocess.run(
        [sys.executable, "-m", "camapp", "record", "finalize", *map(str, files)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
        env={k: v for k, v in os.environ.items() if k != PAUSE_ENV},
    )


def test_kill_9_while_recording_leaves_a_playable_file_finalize_keeps_it(tmp_path, run_child):
    out = tmp_path / "killed.mp4"
    child = run_child(str(need(PERSON_CLIP)), str(out), "--pace", "20", "--marked")
    written = None
    for line in child.stdout:
        parts = line.split()
        if parts[0] == "frame" and int(parts[2]) >= 50:
            written = int(parts[2])
            child.send_signal(signal.SIGKILL)
            break
    child.wait(timeout=30)
    assert child.returncode == -signal.SIGKILL and written is not None
    assert mp4_kind(out) == "fragmented"
    kept = indices(out)
    assert kept == list(range(len(kept))) and len(kept) >= written - 11  # all but the last second
    done = finalize_cli(out)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(f"finalized {out}: ")
    assert mp4_kind(out) == "regular"
    final = indices(out)
    assert final == kept[: len(final)] and len(final) >= len(kept) - 1  # at most a torn last frame
    assert sorted(p.name for p in tmp_path.iterdir()) == ["killed.mp4"]


@pytest.mark.parametrize("stage", ["mid", "rename"])
def test_kill_9_while_finalizing_leaves_the_whole_fragmented_file(tmp_path, run_child, monkeypatch, stage):
    """Killed halfway through the copy, or with the copy complete just before the rename: the
    recording is the complete fragmented file, every frame in it; finalizing later completes it."""
    monkeypatch.setenv(PAUSE_ENV, stage)
    out = tmp_path / "rec.mp4"
    child = run_child(str(need(PERSON_CLIP)), str(out), "--frames", "60", "--pace", "200", "--marked")
    for line in child.stderr:
        if line.startswith(f"camapp-test: finalize paused at {stage}"):
            break
    else:
        pytest.fail(f"the child never reached the finalize step: {child.communicate()}")
    tmp = temp_path(out, child.pid)
    assert tmp.exists()  # the copy was under way
    child.send_signal(signal.SIGKILL)
    child.wait(timeout=30)
    assert child.returncode == -signal.SIGKILL
    assert mp4_kind(out) == "fragmented"
    assert indices(out) == list(range(60))  # every frame written, nothing torn: close() had finished
    done = finalize_cli(out)
    assert done.returncode == 0, done.stderr
    assert mp4_kind(out) == "regular" and indices(out) == list(range(60))
    assert not tmp.exists()  # the dead process's temporary is cleaned up
    assert sorted(p.name for p in tmp_path.iterdir()) == ["rec.mp4"]
