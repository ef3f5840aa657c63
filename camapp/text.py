"""Text files as users save them: UTF-8 with or without a byte-order mark, CRLF or CR line ends,
trailing blanks. Label files, class lists and the catalog all come through here."""

from __future__ import annotations

import os
from pathlib import Path


def decode(raw: bytes) -> str:
    """UTF-8 (a leading BOM dropped), line ends normalized to `\\n`; UnicodeDecodeError otherwise."""
    return raw.decode("utf-8-sig").replace("\r\n", "\n").replace("\r", "\n")


def read_text(path: str | os.PathLike[str]) -> str:
    return decode(Path(path).read_bytes())


def read_lines(path: str | os.PathLike[str]) -> list[str]:
    """Stripped lines, trailing blank lines dropped (blank lines inside are kept: they count)."""
    lines = [ln.strip() for ln in read_text(path).split("\n")]
    while lines and not lines[-1]:
        lines.pop()
    return lines
