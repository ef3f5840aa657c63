"""The record folder as the page sees it: a listing, and downloads that cannot leave the folder."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

KINDS = {
    ".mp4": "video",
    ".mkv": "video",
    ".jpg": "image",
    ".jpeg": "image",
    ".png": "image",
    ".jsonl": "log",
    ".log": "log",
    ".txt": "log",
}
MAX_DEPTH = 3  # recordings/events/... is as deep as camapp writes
MAX_FILES = 2000
_ENCODED_SEPARATOR = re.compile(r"%(2f|5c|2e|00)", re.IGNORECASE)


class Refused(Exception):
    """A download name that is not a plain relative path to a file inside the folder."""


def list_files(root: Path) -> list[dict[str, Any]]:
    """Files camapp may have written (recordings, segments, event clips, snapshots, logs), newest first."""
    root = Path(root)
    if not root.is_dir():
        return []
    base = root.resolve()
    found: list[dict[str, Any]] = []
    for dirpath, dirnames, filenames in os.walk(base):
        depth = len(Path(dirpath).relative_to(base).parts)
        dirnames[:] = [] if depth >= MAX_DEPTH else [d for d in dirnames if not d.startswith(".")]
        for name in filenames:
            path = Path(dirpath) / name
            kind = KINDS.get(path.suffix.lower())
            if kind is None or name.startswith("."):
                continue
            try:
                resolved = path.resolve()
                if not resolved.is_relative_to(base):
                    continue  # a symlink pointing out is neither listed nor served
                st = resolved.stat()
            except OSError:
                continue
            found.append(
                {
                    "name": path.relative_to(base).as_posix(),
                    "kind": kind,
                    "size": st.st_size,
                    "mtime": st.st_mtime,
                }
            )
            if len(found) >= MAX_FILES:
                break
    found.sort(key=lambda f: f["mtime"], reverse=True)
    return found


def resolve_download(root: Path, name: str, raw: str = "") -> Path:
    """The file `name` (relative, '/'-separated) inside `root`, or `Refused` with the reason.

    `raw` is the still-encoded request path: an encoded separator or dot there is refused even if
    the decoded name would look harmless.
    """
    if _ENCODED_SEPARATOR.search(raw):
        raise Refused("encoded separators are not allowed")
    if not name or "\x00" in name or "\\" in name or name.startswith("/") or re.match(r"^[A-Za-z]:", name):
        raise Refused("not a relative file name")
    parts = name.split("/")
    if any(p in ("", ".", "..") or p.startswith(".") for p in parts):
        raise Refused("not a plain file name")
    if Path(name).suffix.lower() not in KINDS:
        raise Refused("not a recording, snapshot or log")
    base = Path(root).resolve()
    path = base.joinpath(*parts)
    try:
        resolved = path.resolve(strict=True)
    except (OSError, RuntimeError):
        raise Refused("no such file") from None
    # the file and every folder on the way must stay inside (a link out and back is refused too)
    for i in range(1, len(parts) + 1):
        if not base.joinpath(*parts[:i]).resolve().is_relative_to(base):
            raise Refused("outside the record folder")
    if not resolved.is_file():
        raise Refused("no such file")
    return resolved
