"""Recorders follow the output rule: no existing file replaced unless asked, segment pruning never
deletes the run's input or a file another run is writing."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from camapp.outputs import OutputError
from camapp.record import DetectionLog, Segments, VideoRecorder


def test_a_recorder_refuses_an_existing_file_unless_told_to_overwrite(tmp_path):
    old = tmp_path / "old.mp4"
    old.write_bytes(b"keep")
    with pytest.raises(OutputError, match="already exists"):
        VideoRecorder(old)
    with pytest.raises(OutputError, match="already exists"):
        DetectionLog(old)
    assert old.read_bytes() == b"keep"
    rec = VideoRecorder(old, overwrite=True)
    assert rec.error is None
    rec.close()  # no frame came: replaced by nothing, which leaves no empty file either
    assert not old.exists() and "no frame was recorded" in (rec.error or "")


HOLD = """
import sys, time
from camapp.outputs import create
f, _ = create(sys.argv[1], overwrite=True)
print("ready", flush=True)
time.sleep(30)
"""


def test_pruning_spares_the_input_and_a_file_another_run_writes(tmp_path):
    names = [f"cam-2026112{d}-120000.mp4" for d in range(1, 6)]
    for i, name in enumerate(names):
        (tmp_path / name).write_bytes(b"x" * 1024 * 1024)
        os.utime(tmp_path / name, (1_000_000 + i, 1_000_000 + i))
    source = tmp_path / names[0]  # this run reads the oldest segment of an earlier run
    other = tmp_path / names[1]  # another camapp is still writing this one
    holder = subprocess.Popen([sys.executable, "-c", HOLD, str(other)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "ready"
        seg = Segments(tmp_path / "cam.mp4", seconds=1, keep_mb=1, protect=(source,))
        removed = seg.prune()
    finally:
        holder.kill()
        holder.wait()
    assert source.exists() and other.exists()
    # the others go, oldest first; the two spared still count towards the cap, so all three go
    assert [p.name for p in removed] == names[2:]


def test_event_recorder_write_probe_leaves_a_users_file_of_that_name_alone(tmp_path):
    from camapp.record import EventRecorder

    mine = tmp_path / ".camapp-write-test"
    mine.write_text("my notes")
    rec = EventRecorder(tmp_path, ["person"])
    rec.close()
    assert rec.error is None and mine.read_text() == "my notes"
    assert sorted(p.name for p in tmp_path.iterdir()) == [".camapp-write-test"]
