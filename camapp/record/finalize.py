"""Turn a fragmented MP4 recording into a regular one that every player can seek.

Why: recordings are written as fragmented MP4 (see `camapp.record.encode`) so that a crash leaves a
playable file, but a fragmented file's movie header holds no duration and no index: a player must
walk every fragment to learn them. Chromium does that only when the server answers range requests;
over one that does not (Python's http.server) it reports the first few seconds as the length and
cannot seek, and players that read only the header fare the same. When a recording ends cleanly it
is *finalized*: its packets are copied (no re-encode) into a regular MP4 with the index in front
("faststart"), in a temporary file beside it, checked (same frames, same duration), synced to disk,
then renamed over the original. A crash at any moment leaves the complete fragmented file or the
complete final one, never neither (a stray `.NAME.finalize-PID.tmp` at worst, removed next time).

Files being written are locked (`flock`, released by the OS when the writer dies, even by kill -9):
finalizing refuses a file another run is still recording.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import struct
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from camapp.errors import CamappError

try:
    import fcntl
except ImportError:  # Windows: no advisory locks; the busy check is skipped there
    fcntl = None  # type: ignore[assignment]


# Test hook (the crash tests use it, users never need it): `mid` pauses after half the packets are
# in the temporary file, `rename` just before the rename; the process prints a line to stderr and
# sleeps for up to 60 s so a test can kill it at exactly that point.
PAUSE_ENV = "CAMAPP_TEST_FINALIZE_PAUSE"
TMP_SUFFIX = ".tmp"


class FinalizeError(CamappError):
    """A file that cannot be finalized: missing, not MP4, already final, broken or busy."""


class AlreadyFinal(FinalizeError):
    """A regular MP4 already: nothing to do."""


@dataclass(frozen=True)
class Finalized:
    path: Path
    frames: int
    duration: float  # seconds, first frame to the end of the last one
    seconds: float  # wall time taken
    bytes: int


# --- recognising the kind of file ---------------------------------------------------------------


def _boxes(f: IO[bytes], start: int, end: int) -> Iterator[tuple[bytes, int, int]]:
    """(type, payload offset, box end) of the ISO-BMFF boxes between `start` and `end`."""
    pos = start
    while pos + 8 <= end:
        f.seek(pos)
        head = f.read(16)
        if len(head) < 8:
            return
        size, kind = struct.unpack(">I4s", head[:8])
        body = pos + 8
        if size == 1:
            if len(head) < 16:
                return
            size = struct.unpack(">Q", head[8:16])[0]
            body = pos + 16
        elif size == 0:
            size = end - pos
        if size < body - pos:
            return  # garbage: stop walking
        yield kind, body, min(pos + size, end)
        pos += size


def mp4_kind(path: str | Path) -> str:
    """ "fragmented", "regular" or "other" (not an MP4), from the top-level boxes only (fast)."""
    with open(path, "rb") as f:
        end = os.fstat(f.fileno()).st_size
        first = True
        for kind, body, box_end in _boxes(f, 0, end):
            if first and kind != b"ftyp":
                return "other"
            first = False
            if kind == b"moof":
                return "fragmented"
            if kind == b"moov":
                if any(k == b"mvex" for k, _, _ in _boxes(f, body, box_end)):
                    return "fragmented"
                return "regular"
        return "other" if first else "fragmented"  # ftyp but no moov yet: killed at the start


# --- locking ------------------------------------------------------------------------------------


def lock_writer(file: Any) -> None:
    """Mark an open recording as being written (shared by nothing: exclusive, non-blocking)."""
    if fcntl is not None:
        with contextlib.suppress(OSError):  # a filesystem without locks: recording matters more
            fcntl.flock(file.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)


def is_busy(path: Path) -> bool:
    """True while a recorder (any process) holds `path` open for writing."""
    if fcntl is None:
        return False
    with open(path, "rb") as f:
        try:
            fcntl.flock(f.fileno(), fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        except OSError:
            return False
    return False


# --- the remux ----------------------------------------------------------------------------------


def temp_path(path: Path, pid: int | None = None) -> Path:
    return path.with_name(f".{path.name}.finalize-{os.getpid() if pid is None else pid}{TMP_SUFFIX}")


def remove_stale_temps(path: Path) -> None:
    """Temporaries of `path` left by a finalize that died (its process is gone)."""
    prefix = f".{path.name}.finalize-"
    for p in path.parent.glob(f"{glob_escape(prefix)}*{TMP_SUFFIX}"):
        pid = p.name[len(prefix) : -len(TMP_SUFFIX)]
        if pid.isdigit() and not _alive(int(pid)):
            with contextlib.suppress(OSError):
                p.unlink()


def glob_escape(text: str) -> str:
    import glob

    return glob.escape(text)


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return False  # an earlier finalize of this process ended (its temporary was not removed)
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True
    return True


def _pause(stage: str) -> None:
    if os.environ.get(PAUSE_ENV) == stage:
        print(f"camapp-test: finalize paused at {stage}", file=__import__("sys").stderr, flush=True)
        time.sleep(60)


def _copy(src: Path, dst: Path, total_hint: int) -> tuple[int, int, int, Any]:
    """Stream-copy every complete video packet of `src` into `dst` (faststart MP4).

    Returns (packets, first pts, end pts, time base) of what was copied. A file cut short by a
    crash ends in a partial packet, flagged corrupt or failing to read: copying stops before it.
    """
    import av

    count, first, end, size = 0, None, None, 0
    with av.open(str(src)) as inp:
        if not inp.streams.video:
            raise FinalizeError(f"{src}: no video stream")
        ist = inp.streams.video[0]
        tb = ist.time_base
        with av.open(str(dst), "w", format="mp4", options={"movflags": "+faststart"}) as out:
            ost = out.add_stream_from_template(ist)
            try:
                for pkt in inp.demux(ist):
                    if pkt.size == 0 or pkt.pts is None:
                        continue  # the demuxer's end-of-stream marker
                    if pkt.is_corrupt:
                        break
                    pts, dur = int(pkt.pts), int(pkt.duration or 0)
                    first = pts if first is None else min(first, pts)
                    end = pts + dur if end is None else max(end, pts + dur)
                    pkt.stream = ost
                    out.mux(pkt)
                    count += 1
                    size += pkt.size
                    if count == total_hint // 2:
                        _pause("mid")
            except av.error.InvalidDataError:
                pass  # a truncated tail: everything before it is kept
    return count, first or 0, end or 0, tb


def _read_back(path: Path) -> tuple[int, int, int, int, Any]:
    """(frames in the header, packets, first pts, end pts, time base) of a finalized file."""
    import av

    with av.open(str(path)) as c:
        s = c.streams.video[0]
        count, first, end = 0, None, None
        for pkt in c.demux(s):
            if pkt.size == 0 or pkt.pts is None:
                continue
            pts, dur = int(pkt.pts), int(pkt.duration or 0)
            first = pts if first is None else min(first, pts)
            end = pts + dur if end is None else max(end, pts + dur)
            count += 1
        return int(s.frames), count, first or 0, end or 0, s.time_base


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_dir(folder: Path) -> None:
    with contextlib.suppress(OSError):  # not every platform/filesystem syncs directories
        _fsync(folder)


def check(path: Path) -> None:
    """Raise `FinalizeError` with a one-line reason unless `path` is an MP4 that needs finalizing."""
    if not path.exists():
        raise FinalizeError(f"{path}: no such file")
    if not path.is_file():
        raise FinalizeError(f"{path}: not a file")
    if path.stat().st_size == 0:
        raise FinalizeError(f"{path}: empty file")
    try:
        kind = mp4_kind(path)
    except OSError as exc:
        raise FinalizeError(f"{path}: cannot read: {exc.strerror or exc}") from None
    if kind == "other":
        raise FinalizeError(f"{path}: not an MP4 file (only .mp4 recordings need finalizing)")
    if kind == "regular":
        raise AlreadyFinal(f"{path}: already finalized (a regular MP4)")
    if is_busy(path):
        raise FinalizeError(f"{path}: being recorded by a running camapp; it finalizes it when it stops")


def finalize(path: str | Path, expect_frames: int | None = None, reserve: int = 0) -> Finalized:
    """Finalize the fragmented MP4 at `path` in place; raises `FinalizeError` (one line) if it cannot.

    `expect_frames`: the frames the recorder wrote; the copy must hold exactly those. Without it
    (a crash leftover) the copy must hold every complete packet the fragmented file has.
    Only `path` is replaced, by an atomic rename; the temporary is removed on every failure.
    `reserve`: bytes that must stay free besides the copy (a recording still being written needs
    them more than this file needs finalizing).
    """
    path = Path(path)
    t0 = time.perf_counter()
    check(path)
    need = path.stat().st_size + reserve
    with contextlib.suppress(OSError):
        free = shutil.disk_usage(path.parent).free
        if free < need:
            raise FinalizeError(
                f"{path}: not enough free space ({free / 1e6:.1f} MB free, {need / 1e6:.1f} MB needed)"
            )
    remove_stale_temps(path)
    tmp = temp_path(path)
    with open(path, "rb") as held:
        if fcntl is not None:  # no recorder or second finalize may start on it meanwhile
            try:
                fcntl.flock(held.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                raise FinalizeError(
                    f"{path}: busy (being recorded or finalized by another process)"
                ) from None
            except OSError:
                pass
        before = os.fstat(held.fileno())
        try:
            copied, first, end, tb = _copy(path, tmp, expect_frames or 0)
            if copied == 0:
                raise FinalizeError(f"{path}: holds no complete frame; nothing to finalize")
            if expect_frames is not None and copied != expect_frames:
                raise FinalizeError(f"{path}: copy holds {copied} frames, the recording {expect_frames}")
            header, packets, first2, end2, tb2 = _read_back(tmp)
            if mp4_kind(tmp) != "regular" or header != copied or packets != copied:
                raise FinalizeError(
                    f"{path}: finalized copy does not match ({header} frames in its index, "
                    f"{packets} packets, {copied} copied)"
                )
            want, got = float((end - first) * tb), float((end2 - first2) * tb2)
            if abs(want - got) > 1e-3:
                raise FinalizeError(f"{path}: finalized copy lasts {got:.3f} s, the original {want:.3f} s")
            os.utime(tmp, ns=(before.st_atime_ns, before.st_mtime_ns))  # keeps its place in time order
            _fsync(tmp)
            _pause("rename")
            now = os.stat(path)
            if (now.st_ino, now.st_dev, now.st_size) != (before.st_ino, before.st_dev, before.st_size):
                raise FinalizeError(f"{path}: changed while being finalized; left as it was")
            os.replace(tmp, path)
        except BaseException as exc:
            with contextlib.suppress(OSError):
                tmp.unlink()
            if isinstance(exc, FinalizeError):
                raise
            if isinstance(exc, Exception):
                reason = getattr(exc, "strerror", None) or str(exc) or type(exc).__name__
                raise FinalizeError(f"{path}: cannot finalize: {reason}") from exc
            raise
    _fsync_dir(path.parent)
    return Finalized(path, copied, got, time.perf_counter() - t0, path.stat().st_size)
