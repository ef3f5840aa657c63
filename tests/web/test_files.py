"""The record folder's listing and downloads: nothing outside it is listed or served."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from camapp.web.files import Refused, list_files, resolve_download


@pytest.fixture()
def folder(tmp_path: Path) -> Path:
    root = tmp_path / "rec"
    (root / "events").mkdir(parents=True)
    (root / "camapp-1.mp4").write_bytes(b"x" * 10)
    (root / "events" / "person.mp4").write_bytes(b"y" * 20)
    (root / "log.jsonl").write_text("{}\n")
    (root / "notes.py").write_text("print()")  # not something camapp writes
    (root / ".camapp-write-test.mp4").write_bytes(b"")
    secret = tmp_path / "secret.txt"
    secret.write_text("no")
    os.symlink(secret, root / "leak.txt")
    os.symlink(tmp_path, root / "up")
    os.symlink(root / "camapp-1.mp4", root / "alias.mp4")  # a link that stays inside is fine
    return root


def test_listing_shows_recordings_clips_and_logs_only(folder: Path) -> None:
    names = {f["name"]: f for f in list_files(folder)}
    assert set(names) == {"camapp-1.mp4", "events/person.mp4", "log.jsonl", "alias.mp4"}
    assert names["events/person.mp4"]["size"] == 20 and names["events/person.mp4"]["kind"] == "video"
    assert list_files(folder / "missing") == []


@pytest.mark.parametrize(
    "name",
    [
        "../secret.txt",
        "events/../../secret.txt",
        "/etc/passwd.txt",
        "leak.txt",
        "up/secret.txt",
        "up/rec/camapp-1.mp4",  # inside after all, but through a link that points out: refused
        "events\\person.mp4",
        "notes.py",
        ".camapp-write-test.mp4",
        "events//person.mp4",
        "./camapp-1.mp4",
        "C:/x.mp4",
        "camapp-1.mp4\x00.txt",
        "missing.mp4",
        "events",
        "",
    ],
)
def test_downloads_refuse_anything_but_a_plain_name_inside(folder: Path, name: str) -> None:
    with pytest.raises(Refused):
        resolve_download(folder, name)


def test_encoded_separators_in_the_raw_path_are_refused(folder: Path) -> None:
    for raw in ("/files/events%2fperson.mp4", "/files/%2e%2e/x.mp4", "/files/a%5cb.mp4", "/files/x%00.mp4"):
        with pytest.raises(Refused):
            resolve_download(folder, "events/person.mp4", raw)


def test_a_plain_name_resolves_to_the_file(folder: Path) -> None:
    assert (
        resolve_download(folder, "events/person.mp4", "/files/events/person.mp4")
        == (folder / "events" / "person.mp4").resolve()
    )
    assert resolve_download(folder, "alias.mp4") == (folder / "camapp-1.mp4").resolve()
