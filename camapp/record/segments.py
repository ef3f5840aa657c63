"""`Segments`: when a `VideoRecorder` starts a new file, what it is called, which old ones go.

A long recording (a camera recording from boot) is cut into files of a bounded length or size so
that each can be copied, played and deleted on its own. The cut happens inside the recorder: the
encoder and the pipeline keep running and the next frame goes to a new file, forced to a
keyframe, so not a frame is lost or repeated at a cut (unlike restarting the whole program).

Naming: `--record /data/cam.mp4` writes `/data/cam-20261126-231502.mp4`, `/data/cam-20261126-233002.mp4`,
... : the wall-clock time at which each file's first frame was written, sortable by name (up
to 9 files within one second);
`_2`, `_3` are appended when a name is taken (two cuts within one second; `_` keeps the name order).
Sizes are in MB of 2**20 bytes.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from camapp.errors import CamappError
from camapp.outputs import locked, same_file
from camapp.record.encode import container_for

log = logging.getLogger("camapp.record")

MB = 1024 * 1024
EPS = 1e-6  # frame times are sums of floats: 0.1 * 30 must count as 3 s


@dataclass(frozen=True)
class Segments:
    """Cut every `seconds` of frame time and/or once a file holds `max_mb` of video; with
    `keep_mb`, delete the oldest files of `base`'s pattern while they total more than that.

    A segment holds the frames whose time is less than `seconds` after its first frame, so at
    10 fps `seconds=3` gives 30 frames per file; the size check runs before each frame, so a file
    ends with the first frame that takes it to `max_mb` or beyond.
    """

    base: Path
    seconds: float | None = None
    max_mb: float | None = None
    keep_mb: float | None = None
    protect: tuple[Path, ...] = ()  # the run's inputs: pruning never deletes them

    def __post_init__(self) -> None:
        object.__setattr__(self, "base", Path(self.base))
        container_for(self.base)  # .mp4 or .mkv, else a CamappError now
        for name in ("seconds", "max_mb", "keep_mb"):
            value = getattr(self, name)
            if value is not None and not value > 0:
                raise CamappError(f"segment {name} must be positive, got {value!r}")
        if self.seconds is None and self.max_mb is None:
            raise CamappError("segments need a length in seconds or a size in MB")
        if self.keep_mb is not None and self.max_mb is not None and self.keep_mb < self.max_mb:
            # every finished file would be deleted at the next cut: only the one being written kept
            raise CamappError(
                f"--record-keep-mb {self.keep_mb:g} is smaller than one segment (--record-segment-mb "
                f"{self.max_mb:g}): it would delete every finished file"
            )

    @property
    def pattern(self) -> Path:
        """The files this recording writes, as a glob: `/data/cam-*.mp4`."""
        return self.base.with_name(f"{self.base.stem}-*{self.base.suffix}")

    def _matches(self, name: str) -> bool:
        stem, ext = re.escape(self.base.stem), re.escape(self.base.suffix)
        # `-N`: the collision suffix of the shell wrapper that cut segments before camapp did
        return re.fullmatch(rf"{stem}-\d{{8}}-\d{{6}}([-_]\d+)?{ext}", name) is not None

    def check_writable(self) -> None:
        """Raise OSError now if the folder cannot take files (missing, read-only)."""
        with tempfile.NamedTemporaryFile(dir=self.base.parent, prefix=".camapp-write-test-"):
            pass

    def path_for(self, when: dt.datetime) -> Path:
        """A free name for a segment whose first frame is written at `when`."""
        stem = f"{self.base.stem}-{when:%Y%m%d-%H%M%S}"
        path = self.base.with_name(stem + self.base.suffix)
        n = 1
        while path.exists():
            n += 1
            path = self.base.with_name(f"{stem}_{n}{self.base.suffix}")
        return path

    def due(self, length: float, size: int) -> bool:
        """Start a new file before the next frame? `length`: its time minus the segment's first
        frame time (s); `size`: bytes in the current file."""
        if self.seconds is not None and length >= self.seconds - EPS:
            return True
        return self.max_mb is not None and size >= self.max_mb * MB

    def files(self) -> list[Path]:
        """This pattern's files on disk (earlier runs included), oldest first."""
        found = []
        for p in self.base.parent.iterdir():
            if self._matches(p.name):
                try:
                    found.append((p.stat().st_mtime_ns, p.name, p))
                except OSError:  # deleted meanwhile
                    continue
        return [p for *_, p in sorted(found)]

    def prune(
        self, at_least: int = 0, room: int = 0, may_delete: Callable[[Path], bool] | None = None
    ) -> list[Path]:
        """With `keep_mb`: delete the oldest files while all of them total more.

        The recorder prunes between closing one file and opening the next (so none is being
        written), asking for `room` bytes free (its
        largest segment so far): old files go even under the cap when the disk is short, so a cap
        larger than the disk still loops like a dashcam. After a full disk it also asks for
        `at_least=1` (the first segment's size is not known yet). A file `may_delete(path)` refuses
        (being finalized) is kept: it goes at a later cut, once finalized."""
        if self.keep_mb is None:
            return []
        limit = self.keep_mb * MB
        try:
            files = self.files()
        except OSError as exc:  # an unreadable folder: recording goes on, the folder just grows
            log.warning("camapp: cannot list %s: %s", self.base.parent, exc.strerror or exc)
            return []
        sizes = {p: _size(p) for p in files}
        total = sum(sizes.values())
        removed: list[Path] = []
        for p in files:
            if total <= limit and len(removed) >= at_least and _free(self.base.parent) >= room:
                break
            if any(same_file(p, x) for x in self.protect):
                continue  # this run's input: never pruned
            if may_delete is not None and not may_delete(p):
                continue  # being finalized: deleting it would race the copy's rename (and the lock
                # probe below could make that finalize fail as busy)
            if locked(p):
                continue  # another run's file being written: never pruned
            try:
                p.unlink()
            except FileNotFoundError:
                pass
            except OSError as exc:  # not fatal: recording goes on, the folder just grows
                log.warning("camapp: cannot remove %s: %s", p, exc.strerror or exc)
                continue
            total -= sizes[p]
            removed.append(p)
            why = f"recordings over {self.keep_mb:g} MB" if total + sizes[p] > limit else "disk full"
            log.warning("camapp: removed %s (%s)", p, why)
        return removed


def _free(folder: Path) -> float:
    """Free bytes; unknown counts as plenty, so a failed query never deletes recordings."""
    try:
        return shutil.disk_usage(folder).free
    except OSError:
        return float("inf")


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0
