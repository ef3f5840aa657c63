"""`camapp record finalize`: one line per file, exit codes by kind of failure, only the named file touched."""

from __future__ import annotations

import pytest
from conftest import PERSON_CLIP, need

from camapp.cli import main
from camapp.record.encode import ClipWriter, Encoder
from camapp.record.finalize import mp4_kind


def fragmented(path, clip_frames=15):
    """A crash leftover: fragmented MP4 of real clip frames, as the recorders write it."""
    import cv2

    enc = Encoder()
    w = ClipWriter(path, enc)
    cap = cv2.VideoCapture(str(need(PERSON_CLIP)))
    for i in range(clip_frames):
        ok, img = cap.read()
        assert ok
        w.write(enc.encode(img[:216, :384], i / 10))
    cap.release()
    w.close()
    return path


def test_finalizes_each_file_in_place(tmp_path, capsys):
    a, b = fragmented(tmp_path / "a.mp4"), fragmented(tmp_path / "b b.mp4", 25)
    other = tmp_path / "notes.txt"
    other.write_text("keep me")
    assert main(["record", "finalize", str(a), str(b)]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith(f"finalized {a}: 15 frames, 1.50 s, ")
    assert out[1].startswith(f"finalized {b}: 25 frames, 2.50 s, ")
    assert mp4_kind(a) == mp4_kind(b) == "regular"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.mp4", "b b.mp4", "notes.txt"]
    assert other.read_text() == "keep me"
    # a second time: nothing to do, not an error
    assert main(["record", "finalize", str(a)]) == 0
    assert capsys.readouterr().out == f"{a}: already finalized (a regular MP4); left as it is\n"


def test_user_mistakes_exit_2_with_one_line_each(tmp_path, capsys):
    mkv = tmp_path / "clip.mkv"
    mkv.write_bytes(b"\x1aE\xdf\xa3" + b"\0" * 100)
    good = fragmented(tmp_path / "good.mp4")
    code = main(["record", "finalize", str(tmp_path / "missing.mp4"), str(mkv), str(good)])
    assert code == 2
    cap = capsys.readouterr()
    assert cap.err.splitlines() == [
        f"camapp: error: {tmp_path / 'missing.mp4'}: no such file",
        f"camapp: error: {mkv}: not an MP4 file (only .mp4 recordings need finalizing)",
    ]
    assert cap.out.startswith(f"finalized {good}")  # the good file is still done


def test_a_broken_file_exits_1_and_is_left_as_it_was(tmp_path, capsys):
    broken = fragmented(tmp_path / "broken.mp4")
    data = bytearray(broken.read_bytes())
    cut = data.find(b"moof") - 4  # keep the header, lose every fragment
    broken.write_bytes(bytes(data[:cut]))
    assert main(["record", "finalize", str(broken)]) == 1
    assert (
        capsys.readouterr().err == f"camapp: error: {broken}: holds no complete frame; nothing to finalize\n"
    )
    assert broken.read_bytes() == bytes(data[:cut])
    assert sorted(p.name for p in tmp_path.iterdir()) == ["broken.mp4"]


def test_usage(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["record", "finalize"])
    assert exc.value.code == 2
    assert "camapp: error: the following arguments are required: FILE" in capsys.readouterr().err
