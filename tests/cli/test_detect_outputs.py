"""`camapp detect`: --out never replaces a photo, and damaged images give one line, not libjpeg spew."""

from __future__ import annotations

import hashlib
import struct
import zlib
from pathlib import Path

import cv2
import pytest
from conftest import IMAGES, need

from camapp.cli import main


def test_out_in_the_photos_own_folder_keeps_the_photo(model_store, tmp_path, monkeypatch, capsys):
    photo = tmp_path / "pets.jpg"
    photo.write_bytes(need(IMAGES / "pets.jpg").read_bytes())
    before = hashlib.sha256(photo.read_bytes()).hexdigest()
    monkeypatch.chdir(tmp_path)
    assert main(["detect", "pets.jpg", "--out", "."]) == 0
    assert main(["detect", "pets.jpg", "--out", "."]) == 0
    out = capsys.readouterr().out
    assert hashlib.sha256(photo.read_bytes()).hexdigest() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["pets-2.jpg", "pets-3.jpg", "pets.jpg"]
    assert "annotated copy written to pets-2.jpg" in out and "pets-3.jpg" in out
    drawn = cv2.imread(str(tmp_path / "pets-2.jpg"))
    assert cv2.absdiff(drawn, cv2.imread(str(photo))).max() > 100  # boxes were drawn


def test_two_inputs_with_one_name_get_two_annotated_copies(model_store, tmp_path, capsys):
    for d in ("a", "b"):
        (tmp_path / d).mkdir()
        (tmp_path / d / "x.jpg").write_bytes(need(IMAGES / "pets.jpg").read_bytes())
    rc = main(
        ["detect", str(tmp_path / "a" / "x.jpg"), str(tmp_path / "b" / "x.jpg"), "--out", str(tmp_path / "o")]
    )
    capsys.readouterr()
    assert rc == 0 and sorted(p.name for p in (tmp_path / "o").iterdir()) == ["x-2.jpg", "x.jpg"]


def png_with_a_bad_crc_chunk(src: Path, dst: Path) -> Path:
    """A PNG that decodes but makes libpng warn: an ancillary tEXt chunk with a wrong CRC."""
    ok, data = cv2.imencode(".png", cv2.imread(str(src)))
    data = data.tobytes()
    body = b"tEXt" + b"Comment\x00hello"
    chunk = struct.pack(">I", len(body) - 4) + body + struct.pack(">I", zlib.crc32(body) ^ 1)
    dst.write_bytes(data[:33] + chunk + data[33:])  # right after IHDR
    return dst


@pytest.mark.parametrize("cut", [0.75, 0.05])
def test_a_truncated_jpeg_gives_one_line(model_store, tmp_path, capfd, cut):
    data = need(IMAGES / "pets.jpg").read_bytes()
    bad = tmp_path / "cut.jpg"
    bad.write_bytes(data[: int(len(data) * cut)])
    rc = main(["detect", str(bad)])
    out, err = capfd.readouterr()  # fd level: libjpeg writes below Python
    lines = err.strip().splitlines()
    assert len(lines) == 1, lines
    assert "Premature end of JPEG file" in lines[0] and lines[0].startswith("camapp: ")
    if rc == 0:
        assert "damaged" in lines[0] and "cut.jpg:" in out
    else:
        assert rc == 2 and "cannot read" in lines[0]


def test_a_png_that_makes_libpng_warn_gives_one_line(model_store, tmp_path, capfd):
    bad = png_with_a_bad_crc_chunk(need(IMAGES / "pets.jpg"), tmp_path / "warn.png")
    assert main(["detect", str(bad)]) == 0
    out, err = capfd.readouterr()
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "CRC error" in lines[0] and "libpng warning" not in err, lines
    assert "dog" in out


def test_a_folder_given_as_an_image_says_it_is_a_folder(tmp_path, capsys):
    assert main(["detect", str(tmp_path)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "is a folder: give image files" in err[0]
