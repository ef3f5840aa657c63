"""Keep C libraries' own output (libjpeg, libpng, the TFLite runtime) off the terminal.

They write straight to file descriptor 2, below Python, so `sys.stderr` cannot catch them. Both
helpers here point fd 2 at a temporary file for a call. fd 2 belongs to the whole process, so every
redirection takes one process-wide lock: two at once (a rung built on a background thread while the
main thread decodes an image) would swap each other's fd 2 and send a warning to the wrong place.
"""

from __future__ import annotations

import contextlib
import os
import sys
import tempfile
import threading
from collections.abc import Iterator

_fd2_lock = threading.RLock()  # re-entrant: a nested redirection on one thread is harmless


@contextlib.contextmanager
def captured_stderr() -> Iterator[list[str]]:
    """Capture fd 2 for the block; the list holds its non-blank lines afterwards.

    For short calls: while it runs, other threads' native stderr output is captured too, and
    another redirection waits for it.
    """
    lines: list[str] = []
    with _fd2_lock:
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
                with contextlib.suppress(AttributeError, ValueError, OSError):
                    sys.stderr.flush()
                os.dup2(saved, 2)
                os.close(saved)
                tmp.seek(0)
                text = tmp.read().decode("utf-8", errors="replace")
                lines.extend(ln.rstrip("\r\n") for ln in text.splitlines() if ln.strip())


@contextlib.contextmanager
def quiet_native_info() -> Iterator[None]:
    """Drop the native runtime's `INFO:` lines (e.g. "Created TensorFlow Lite XNNPACK delegate")
    printed while an interpreter is built; anything else it printed is passed on.

    The C++ logger has no Python switch, hence the redirection.
    """
    with captured_stderr() as said:
        yield
    kept = [ln for ln in said if not ln.startswith("INFO: ")]
    if kept:
        sys.stderr.write("".join(ln + "\n" for ln in kept))


def library_note(lines: list[str]) -> str:
    """The first captured line, shortened for a one-line message ("" when nothing was said)."""
    if not lines:
        return ""
    first = lines[0].strip().removeprefix("libpng warning: ").removeprefix("libpng error: ")
    return first[:120]
