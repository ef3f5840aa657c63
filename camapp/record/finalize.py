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

import array
import contextlib
import io
import os
import shutil
import struct
import sys
import time
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from camapp.errors import CamappError
from camapp.outputs import locked

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


class Vanished(FinalizeError):
    """The file was deleted while being finalized (segment pruning): nothing to keep, nothing left."""


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
        print(f"camapp-test: finalize paused at {stage}", file=sys.stderr, flush=True)
        time.sleep(60)


def _copy(src: Path, dst: Path, total_hint: int) -> tuple[int, int, int, Any, int]:
    """Stream-copy every complete video packet of `src` into `dst` (a regular MP4, index at the end).

    Returns (packets, first pts, end pts, time base, CRC-32 of the packet data) of what was copied.
    A file cut short by a crash ends in a partial packet, flagged corrupt or failing to read:
    copying stops before it. FFmpeg's own faststart is not used: PyAV runs the trailer, which would
    rewrite the whole file, holding the GIL (a 200 MB file stalled the GUI for 0.5 s); `_faststart`
    moves the index in Python, releasing the GIL at each read and write.
    """
    import av

    count, first, end, crc = 0, None, None, 0
    with av.open(str(src)) as inp:
        if not inp.streams.video:
            raise FinalizeError(f"{src}: no video stream")
        ist = inp.streams.video[0]
        tb = ist.time_base
        with av.open(str(dst), "w", format="mp4") as out:
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
                    crc = zlib.crc32(pkt, crc)
                    pkt.stream = ost
                    out.mux(pkt)
                    count += 1
                    if count == total_hint // 2:
                        _pause("mid")
            except av.error.InvalidDataError:
                pass  # a truncated tail: everything before it is kept
    return count, first or 0, end or 0, tb, crc


CONTAINERS = {b"moov", b"trak", b"mdia", b"minf", b"stbl"}  # the boxes on the way to chunk offsets
CHUNK = 4 << 20


def _shift_offsets(moov: bytearray, start: int, end: int, shift: int) -> None:
    """Add `shift` to every chunk offset (stco, co64) in the boxes of `moov[start:end]`."""
    buf = io.BytesIO(moov)
    for kind, body, box_end in list(_boxes(buf, start, end)):
        if kind in CONTAINERS:
            _shift_offsets(moov, body, box_end, shift)
        elif kind in (b"stco", b"co64"):
            (count,) = struct.unpack_from(">I", moov, body + 4)
            fmt = "I" if kind == b"stco" else "Q"
            offsets = array.array(fmt, moov[body + 8 : body + 8 + count * array.array(fmt).itemsize])
            if sys.byteorder == "little":
                offsets.byteswap()
            if kind == b"stco" and offsets and max(offsets) + shift > 0xFFFFFFFF:
                raise OverflowError("chunk offsets past 4 GiB")
            offsets = array.array(fmt, (o + shift for o in offsets))
            if sys.byteorder == "little":
                offsets.byteswap()
            moov[body + 8 : body + 8 + len(offsets.tobytes())] = offsets.tobytes()


def _faststart(path: Path) -> bool:
    """Move the index (moov) of a just-written MP4 from its end to just after `ftyp`, in place.

    What FFmpeg's `movflags=faststart` does, but the copying happens in 4 MB reads and writes that
    release the GIL. False (file left as it is, still a regular MP4 that seeks over range requests)
    when offsets would pass 4 GiB in a 32-bit table.
    """
    with open(path, "r+b") as f:
        size = os.fstat(f.fileno()).st_size
        boxes, pos = [], 0
        for kind, _body, box_end in _boxes(f, 0, size):
            boxes.append((kind, pos, box_end))
            pos = box_end
        if not boxes or boxes[0][0] != b"ftyp" or boxes[-1][0] != b"moov" or pos != size:
            raise FinalizeError(
                f"{path}: unexpected layout {[k.decode(errors='replace') for k, _, _ in boxes]}"
            )
        moov_at, ftyp_end = boxes[-1][1], boxes[0][2]
        fd = f.fileno()
        moov = bytearray(os.pread(fd, size - moov_at, moov_at))
        head = 16 if struct.unpack_from(">I", moov)[0] == 1 else 8
        try:
            _shift_offsets(moov, head, len(moov), len(moov))
        except OverflowError:
            return False
        pos = moov_at  # move [ftyp_end, moov_at) up by len(moov), last chunk first (they overlap)
        while pos > ftyp_end:
            n = min(CHUNK, pos - ftyp_end)
            pos -= n
            os.pwrite(fd, os.pread(fd, n, pos), pos + len(moov))
        os.pwrite(fd, moov, ftyp_end)
    return True


def _read_back(path: Path) -> tuple[int, int, int, int, Any, int]:
    """(frames in the header, packets, first pts, end pts, time base, CRC-32 of the packet data)."""
    import av

    with av.open(str(path)) as c:
        s = c.streams.video[0]
        count, first, end, crc = 0, None, None, 0
        for pkt in c.demux(s):
            if pkt.size == 0 or pkt.pts is None:
                continue
            pts, dur = int(pkt.pts), int(pkt.duration or 0)
            first = pts if first is None else min(first, pts)
            end = pts + dur if end is None else max(end, pts + dur)
            crc = zlib.crc32(pkt, crc)
            count += 1
        return int(s.frames), count, first or 0, end or 0, s.time_base, crc


def top_level(path: str | Path) -> list[str]:
    """The top-level box types of an MP4, in file order."""
    with open(path, "rb") as f:
        return [k.decode(errors="replace") for k, _, _ in _boxes(f, 0, os.fstat(f.fileno()).st_size)]


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
    if locked(path):  # the output rule's write lock: a recorder holds it while it writes
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
            copied, first, end, tb, crc = _copy(path, tmp, expect_frames or 0)
            if copied == 0:
                raise FinalizeError(f"{path}: holds no complete frame; nothing to finalize")
            if expect_frames is not None and copied != expect_frames:
                raise FinalizeError(f"{path}: copy holds {copied} frames, the recording {expect_frames}")
            front = _faststart(tmp)
            header, packets, first2, end2, tb2, crc2 = _read_back(tmp)
            if mp4_kind(tmp) != "regular" or header != copied or packets != copied or crc2 != crc:
                raise FinalizeError(
                    f"{path}: finalized copy does not match ({header} frames in its index, "
                    f"{packets} packets, {copied} copied{'' if crc2 == crc else ', other data'})"
                )
            boxes = top_level(tmp)
            if front and boxes.index("moov") > boxes.index("mdat"):
                raise FinalizeError(f"{path}: finalized copy has its index after the media")
            want, got = float((end - first) * tb), float((end2 - first2) * tb2)
            if abs(want - got) > 1e-3:
                raise FinalizeError(f"{path}: finalized copy lasts {got:.3f} s, the original {want:.3f} s")
            os.utime(tmp, ns=(before.st_atime_ns, before.st_mtime_ns))  # keeps its place in time order
            _fsync(tmp)
            _pause("rename")
            now = os.stat(path)
            if (now.st_ino, now.st_dev, now.st_size) != (before.st_ino, before.st_dev, before.st_size):
                raise FinalizeError(f"{path}: changed while being finalized; left as it was")
            size = os.stat(tmp).st_size  # before the rename: the file is the user's once it is in place
            os.replace(tmp, path)
        except BaseException as exc:
            with contextlib.suppress(OSError):
                tmp.unlink()
            if isinstance(exc, Exception) and not path.exists():
                raise Vanished(f"{path}: deleted while being finalized") from None
            if isinstance(exc, FinalizeError):
                raise
            if isinstance(exc, Exception):
                reason = getattr(exc, "strerror", None) or str(exc) or type(exc).__name__
                raise FinalizeError(f"{path}: cannot finalize: {reason}") from exc
            raise
    _fsync_dir(path.parent)
    return Finalized(path, copied, got, time.perf_counter() - t0, size)
