"""Keep C libraries' own warnings (libjpeg, libpng) off the terminal: camapp says it in one line.

libjpeg and libpng write straight to file descriptor 2, below Python, so `sys.stderr` cannot
catch them; `captured_stderr` points fd 2 at a temporary file for the call and hands back what
was written, for the caller to fold into its own message.
"""

from __future__ import annotations

import contextlib
import os
import sys
import tempfile
from collections.abc import Iterator


@contextlib.contextmanager
def captured_stderr() -> Iterator[list[str]]:
    """Capture fd 2 for the block; the list holds its non-blank lines afterwards.

    Only for short calls on the main thread (another thread's messages meanwhile are captured too).
    """
    lines: list[str] = []
    with contextlib.suppress(AttributeError, ValueError, OSError):
        sys.stderr.flush()
    try:
        saved = os.dup(2)
    except OSError:  # no fd 2 at all: nothing to keep quiet
        yield lines
        return
    with tempfile.TemporaryFile() as tmp:
        os.dup2(tmp.fileno(), 2)
        try:
            yield lines
        finally:
            os.dup2(saved, 2)
            os.close(saved)
            tmp.seek(0)
            text = tmp.read().decode("utf-8", errors="replace")
            lines.extend(ln.strip() for ln in text.splitlines() if ln.strip())


def library_note(lines: list[str]) -> str:
    """The first captured line, shortened for a one-line message ("" when nothing was said)."""
    if not lines:
        return ""
    first = lines[0].removeprefix("libpng warning: ").removeprefix("libpng error: ")
    return first[:120]
