"""The output rule (camapp.outputs) on real files: identities, fresh names, exclusive locked creation.

The two-process checks spawn real Python processes: the lock must hold across processes, not threads.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from camapp.outputs import (
    OutputError,
    check_distinct,
    check_output,
    create,
    fresh,
    input_path,
    locked,
    write_new,
)


@pytest.fixture()
def clip(tmp_path: Path) -> Path:
    p = tmp_path / "clip.mp4"
    p.write_bytes(b"precious footage")
    return p


def test_an_input_is_refused_under_any_name_even_with_overwrite(clip, tmp_path, monkeypatch):
    (tmp_path / "sym.mp4").symlink_to(clip)
    os.link(clip, tmp_path / "hard.mp4")
    (tmp_path / "sub").mkdir()
    monkeypatch.chdir(tmp_path / "sub")
    for name in (str(clip), "../clip.mp4", "./../clip.mp4", str(tmp_path / "sym.mp4"), "../hard.mp4"):
        with pytest.raises(OutputError, match="is an input of this run"):
            check_output(name, inputs=[clip], overwrite=True, what="--record")
    assert clip.read_bytes() == b"precious footage"


def test_an_existing_file_needs_overwrite_and_a_new_one_does_not(clip, tmp_path):
    other = tmp_path / "other.mp4"
    other.write_bytes(b"x")
    with pytest.raises(OutputError, match="already exists: choose another name, or pass --overwrite"):
        check_output(other, inputs=[clip])
    assert check_output(other, inputs=[clip], overwrite=True) == other
    assert check_output(tmp_path / "new.mp4", inputs=[clip]) == tmp_path / "new.mp4"
    with pytest.raises(OutputError, match="is a folder"):
        check_output(tmp_path, overwrite=True)


def test_two_outputs_naming_one_file_are_refused(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(OutputError, match="--record and --log must name different files"):
        check_distinct({"--record": "x.mp4", "--log": str(tmp_path / "x.mp4")})
    check_distinct({"--record": "x.mp4", "--log": "x.jsonl", "--other": None})


def test_input_path_names_only_local_files():
    assert input_path("clip.mp4") == Path("clip.mp4")
    assert input_path("file://clip.mp4") == Path("clip.mp4")
    assert input_path("0") is None and input_path("rtsp://cam/1") is None and input_path(None) is None


def test_fresh_and_write_new_never_replace_anything(clip, tmp_path):
    assert fresh(clip) == tmp_path / "clip-2.mp4"
    assert fresh(tmp_path / "new.mp4") == tmp_path / "new.mp4"
    (tmp_path / "dangling.mp4").symlink_to(tmp_path / "nowhere")
    assert fresh(tmp_path / "dangling.mp4") == tmp_path / "dangling-2.mp4"
    first = write_new(tmp_path / "a.jpg", b"1")
    second = write_new(tmp_path / "a.jpg", b"2")
    assert (first.name, second.name) == ("a.jpg", "a-2.jpg")
    assert first.read_bytes() == b"1" and second.read_bytes() == b"2"


def test_create_is_exclusive_and_overwrite_truncates_only_an_unlocked_file(clip, tmp_path):
    with pytest.raises(OutputError, match="already exists"):
        create(clip)
    f, path = create(clip, overwrite=True)
    with f:
        f.write(b"new")
        # flock belongs to the open file: a second writer in this same process is refused too
        assert locked(clip)
        with pytest.raises(OutputError, match="is being written by another run"):
            create(clip, overwrite=True)
    assert path.read_bytes() == b"new"
    f, path = create(clip, auto_name=True)
    f.close()
    assert path.name == "clip-2.mp4"


HOLDER = """
import sys, time
from camapp.outputs import create
f, _ = create(sys.argv[1])
f.write(b"first run's data")
print("ready", flush=True)
time.sleep(30)
"""


def test_a_second_process_cannot_cut_a_file_another_run_writes(tmp_path):
    target = tmp_path / "rec.mp4"
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, str(target)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "ready"
        assert locked(target)
        for overwrite in (False, True):
            with pytest.raises(OutputError, match="is being written by another run"):
                create(target, overwrite=overwrite)
            with pytest.raises(OutputError, match="is being written by another run"):
                check_output(target, overwrite=overwrite)
        assert target.read_bytes() == b"first run's data"  # not truncated by the refused opens
    finally:
        holder.kill()
        holder.wait()
    time.sleep(0.05)
    assert not locked(target)  # the lock dies with the process: a crashed run blocks nothing


def test_devices_and_pipes_are_not_files_to_protect(tmp_path):
    assert check_output("/dev/null") == Path("/dev/null")  # --log /dev/stdout or /dev/null just works
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    assert check_output(fifo) == fifo
    f, path = create("/dev/null")
    with f:
        f.write(b"x")
    f2, _ = create("/dev/null")  # no lock: two runs may both log to /dev/null
    f2.close()


def test_a_name_the_os_refuses_is_one_output_error_not_a_traceback(tmp_path):
    with pytest.raises(OutputError, match="File name too long"):
        check_output(tmp_path / ("a" * 300 + ".mp4"), what="--record")
