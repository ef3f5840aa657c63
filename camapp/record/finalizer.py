"""Finalizing in the background, and telling the user about recordings left fragmented.

`Finalizer` is what the recorders use: a thread of their own that finalizes files cut off at a
segment boundary or at the end of an event clip while recording goes on (see `finalize`).
`scan_folder` finds leftovers of runs that died before finalizing, `warn_unfinalized` logs them with
the exact `camapp record finalize` command that finishes them.
"""

from __future__ import annotations

import itertools
import logging
import os
import queue
import sys
import threading
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from camapp.outputs import locked
from camapp.record import finalize as fz
from camapp.record.finalize import Finalized, FinalizeError, mp4_kind

log = logging.getLogger("camapp.record")


def unfinalized(paths: Iterable[Path]) -> list[Path]:
    """The fragmented MP4s among `paths` that no running recorder holds: leftovers of a crash."""
    found = []
    for p in paths:
        try:
            if p.suffix.lower() == ".mp4" and p.is_file() and mp4_kind(p) == "fragmented" and not locked(p):
                found.append(p)
        except OSError:
            continue
    return found


def scan_folder(folder: Path, limit: int = 2000) -> list[Path]:
    """Unfinalized recordings in `folder` (its first `limit` .mp4 files by name). Also removes the
    temporaries of finalizes whose process died (kill -9 mid-copy), which nothing else would."""
    try:
        entries = list(folder.iterdir())
    except OSError:
        return []
    for p in entries:
        if p.name.startswith(".") and p.name.endswith(fz.TMP_SUFFIX) and ".finalize-" in p.name:
            fz.remove_stale_temps(p.parent / p.name[1:].rsplit(".finalize-", 1)[0])
    names = sorted(p for p in entries if p.suffix.lower() == ".mp4" and not p.name.startswith("."))
    return unfinalized(names[:limit])


def fix_command(paths: Iterable[Path]) -> str:
    """The command that finalizes `paths`, quoted for a POSIX shell."""
    import shlex

    return "camapp record finalize " + " ".join(shlex.quote(str(p)) for p in paths)


def warn_unfinalized(paths: list[Path], why: str) -> None:
    """One log line naming the files and the exact command that fixes them."""
    if paths:
        n = "1 recording" if len(paths) == 1 else f"{len(paths)} recordings"
        log.warning(
            "camapp: %s %s not finalized (%s); browsers cannot seek %s. Fix: %s",
            n,
            "is" if len(paths) == 1 else "are",
            why,
            "it" if len(paths) == 1 else "them",
            fix_command(paths),
        )


_STOP = object()


def _same(a: Path, b: Path) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:
        return False


NICE = 19  # as camapp.pipeline.priority.HELPER_NICE (record/ sits below pipeline/, so not imported)


def _lower_this_thread() -> None:
    """Nice the calling thread (Linux: niceness is per thread) so the GUI and inference threads
    win the CPU and the GIL hand-offs: finalizing is never urgent. Elsewhere a no-op."""
    if not sys.platform.startswith("linux") or threading.current_thread() is threading.main_thread():
        return
    try:
        tid = threading.get_native_id()
        if os.getpriority(os.PRIO_PROCESS, tid) < NICE:
            os.setpriority(os.PRIO_PROCESS, tid, NICE)
    except OSError:
        pass


class Finalizer:
    """Finalizes finished recordings one at a time on its own thread, started by the recorder's
    thread (so it inherits its lowered priority), while the recorder goes on with the next file.

    `busy` holds the files queued or in progress. Segment pruning asks `may_delete` first: a file
    only queued is given up (its finalize dropped quietly, so the cap holds), one being finalized is
    kept (it goes at a later cut), so a file is never deleted under its finalize. A file deleted all
    the same (by hand, by another run) is dropped quietly too: the copy is not renamed into its
    place, and it is not named as needing a fix. `done` and `failed` say what became of the others.
    A failure leaves the fragmented file, which still plays, and logs the command that finishes it.
    """

    def __init__(self, on_done: Callable[[Finalized], None] | None = None, yield_cpu: bool = True) -> None:
        self._queue: queue.Queue[Any] = queue.Queue()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self.busy: set[Path] = set()
        self._running: set[Path] = set()  # being finalized now: never given up
        # a queued file's submission, by path; pruning may give it up before its turn. By
        # submission, not by path: a pruned file's name is free, and a later file may take it.
        self._pending: dict[Path, int] = {}
        self._dropped: set[int] = set()
        self._submissions = itertools.count()
        self.done: list[Finalized] = []
        self.failed: list[tuple[Path, str]] = []
        self.on_done = on_done
        self.yield_cpu = yield_cpu

    def may_delete(self, path: Path) -> bool:
        """Whether pruning may delete `path` now: not while it is being finalized; a file only
        queued is given up (its finalize will not run), as is any file this finalizer never had."""
        with self._lock:
            if any(p == path or _same(p, path) for p in self._running):
                return False
            mine = next((p for p in self._pending if p == path or _same(p, path)), None)
            if mine is not None:
                self._dropped.add(self._pending.pop(mine))
                self.busy.discard(mine)
            return True

    def held(self) -> list[Path]:
        """The files queued or being finalized now (any thread): nothing else may delete them."""
        with self._lock:
            return list(self.busy)

    def submit(self, path: Path, frames: int | None = None, reserve: int = 0) -> None:
        with self._lock:
            self.busy.add(path)
            token = self._pending[path] = next(self._submissions)
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="camapp-finalize", daemon=True)
                self._thread.start()
        self._queue.put((token, path, frames, reserve))

    def run_now(
        self, path: Path, frames: int | None = None, reserve: int = 0, token: int | None = None
    ) -> Finalized | None:
        """Finalize on the calling thread (the recorder's, at its end); never raises.

        The thread is niced first (`yield_cpu`): it is a recorder's, about to end, or the finalizer's.
        `token`: the submission this is (the finalizer thread's); None for a direct call.
        """
        if self.yield_cpu:
            _lower_this_thread()
        with self._lock:
            if token is not None and token in self._dropped:  # pruned before its turn: nothing to do
                self._dropped.discard(token)
                return None
            if token is not None and self._pending.get(path) == token:
                del self._pending[path]
            self.busy.add(path)
            self._running.add(path)
        try:
            result = fz.finalize(path, frames, reserve)
        except fz.Vanished:  # deleted meanwhile: nothing to keep, nothing to fix
            log.info("camapp: %s was removed while being finalized", path)
            return None
        except Exception as exc:
            if not os.path.lexists(path):  # gone before or while finalizing: the same, said quietly
                log.info("camapp: %s was removed before it was finalized", path)
                return None
            if not isinstance(exc, FinalizeError):  # a bug must not take the recorder thread down
                log.exception("camapp: finalizing %s failed", path)
            self._failed(path, str(exc))
            return None
        finally:
            with self._lock:
                self.busy.discard(path)
                self._running.discard(path)
        self.done.append(result)
        log.info(
            "camapp: finalized %s (%d frames, %.1f s) in %.2f s",
            path,
            result.frames,
            result.duration,
            result.seconds,
        )
        if self.on_done is not None:
            self.on_done(result)
        return result

    def _failed(self, path: Path, reason: str) -> None:
        self.failed.append((path, reason))
        reason = reason.removeprefix(f"{path}: ")
        warn_unfinalized([path], reason)

    def _run(self) -> None:
        while True:
            item = self._queue.get()
            if item is _STOP:
                return
            token, path, frames, reserve = item
            self.run_now(path, frames, reserve, token=token)

    def close(self) -> None:
        """Wait for every queued file (the recorder's `close()` waits on this). Idempotent."""
        with self._lock:
            thread = self._thread
        if thread is not None and thread.is_alive():
            self._queue.put(_STOP)
            thread.join()
