"""The one output rule, so no camapp output ever destroys what the user gave or another run's file.

1. An output never replaces an input of the same run (source video, image, model, label file),
   whatever the flags. Files are compared by identity (device and inode after resolving), so
   `./x`, `../dir/x`, a symlink and a hard link to the input all count as the input.
2. A file the user named (`--record FILE`, `--log FILE`) that already exists is refused with one
   line (exit 2) unless `--overwrite` is given.
3. A file camapp names itself (segments, event clips, snapshots, `detect --out DIR` copies, GUI
   recordings) never replaces anything: it takes a fresh name (`name-2.ext`, `name-3.ext`...).
4. A file written over time is created exclusively and holds an advisory lock (`flock`) until it
   is closed: a second run writing the same file gets one line and exit 2; the first run's file
   is left intact (it is never truncated before the lock is held).

Bottom layer: imports nothing of camapp but `errors`, so every stage can call it.
"""

from __future__ import annotations

import contextlib
import errno
import os
import stat
from collections.abc import Iterable
from pathlib import Path
from typing import IO, Any

from camapp.errors import CamappError

try:  # advisory locks: POSIX; elsewhere O_EXCL alone guards creation
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]

PathLike = str | os.PathLike[str]
FRESH_TRIES = 1000


class OutputError(CamappError):
    """An output that would destroy an input, an existing file, or another run's file (exit 2)."""


def identity(path: PathLike) -> tuple[int, int] | None:
    """(st_dev, st_ino) of the file `path` names (symlinks followed), None if it does not exist."""
    try:
        st = os.stat(path)
    except (OSError, ValueError):
        return None
    return st.st_dev, st.st_ino


def is_stream(path: PathLike) -> bool:
    """A device, FIFO or socket (`/dev/stdout`, `/dev/null`, a named pipe): writing there replaces
    no stored data, so the rule's "exists" and locking parts do not apply."""
    try:
        mode = os.stat(path).st_mode
    except (OSError, ValueError):
        return False
    return stat.S_ISCHR(mode) or stat.S_ISFIFO(mode) or stat.S_ISSOCK(mode)


def same_file(a: PathLike, b: PathLike) -> bool:
    """True when `a` and `b` name the same file: same identity, or the same resolved path."""
    ia, ib = identity(a), identity(b)
    if ia is not None and ib is not None:
        return ia == ib
    try:
        return Path(a).resolve() == Path(b).resolve()
    except (OSError, RuntimeError, ValueError):
        return False


def input_path(spec: str | None) -> Path | None:
    """The local file a source spec names (`clip.mp4`, `file://clip.mp4`), None for cameras/URLs."""
    if not spec:
        return None
    text = str(spec)
    if text.startswith("file://"):
        text = text[7:]
    elif "://" in text or text.isdigit() or "!" in text:
        return None
    return Path(text).expanduser()


def check_output(
    path: PathLike,
    *,
    inputs: Iterable[PathLike | None] = (),
    overwrite: bool = False,
    what: str = "output",
) -> Path:
    """Apply rules 1 and 2 to a file the user named; returns it as a Path, raises `OutputError`."""
    p = Path(path).expanduser()
    try:
        return _check(p, inputs, overwrite, what)
    except OSError as exc:  # a name too long, a loop of symlinks, a folder we may not look into
        raise OutputError(f"{what} {p}: {exc.strerror or exc}") from None


def _check(p: Path, inputs: Iterable[PathLike | None], overwrite: bool, what: str) -> Path:
    for src in inputs:
        if src is not None and same_file(p, src):
            shown = f"{p}" if str(p) == str(src) else f"{p} (the same file as {src})"
            raise OutputError(f"{what} {shown} is an input of this run: choose another file name")
    if p.is_dir():
        raise OutputError(f"{what} {p} is a folder: give a file name")
    if os.path.lexists(p) and not is_stream(p):
        if locked(p):  # even with --overwrite: another run's file is never cut
            raise OutputError(f"{what} {p} is being written by another run: choose another file name")
        if not overwrite:
            raise OutputError(f"{what} {p} already exists: choose another name, or pass --overwrite")
    return p


def check_distinct(named: dict[str, PathLike | None]) -> None:
    """Two outputs of one run must not be one file (`--record x --log ./x`)."""
    seen: list[tuple[str, PathLike]] = []
    for what, path in named.items():
        if path is None:
            continue
        for other, prev in seen:
            if same_file(path, prev):
                raise OutputError(f"{other} and {what} must name different files")
        seen.append((what, path))


def fresh(path: PathLike, taken: Iterable[PathLike | None] = ()) -> Path:
    """`path`, or `stem-2.ext`, `stem-3.ext`... : the first name that neither exists nor is in `taken`."""
    p = Path(path)
    others = [t for t in taken if t is not None]
    for n in range(1, FRESH_TRIES + 1):
        candidate = p if n == 1 else p.with_name(f"{p.stem}-{n}{p.suffix}")
        if not os.path.lexists(candidate) and not any(same_file(candidate, t) for t in others):
            return candidate
    raise OutputError(f"no free file name like {p} (tried {FRESH_TRIES})")


def locked(path: PathLike) -> bool:
    """True when another process holds `path`'s write lock (it is being written right now)."""
    if fcntl is None:
        return False
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_CLOEXEC", 0))
    except OSError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return True
    finally:
        os.close(fd)  # also drops the probe's own lock
    return False


def _lock(fd: int, path: Path) -> None:
    if fcntl is None:
        return
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError as exc:
        os.close(fd)
        if exc.errno in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
            raise OutputError(f"{path} is being written by another run: choose another file name") from None
        raise


def create(
    path: PathLike, *, overwrite: bool = False, auto_name: bool = False, binary: bool = True
) -> tuple[IO[Any], Path]:
    """Open a file to write over time: created exclusively and locked until closed (rule 4).

    `overwrite`: an existing file may be replaced (only a name the user gave with --overwrite);
    it is truncated only once its lock is held, so another run's file is never cut.
    `auto_name`: a name camapp chose; when taken, the next fresh one is used (rule 3).
    Returns the open file (unbuffered when binary) and the path actually used.
    """
    p = Path(path)
    if is_stream(p) and not auto_name:  # --log /dev/stdout: no exclusivity, nothing to truncate
        if binary:
            return open(p, "wb", buffering=0), p  # noqa: SIM115 - the caller closes it
        return open(p, "w", encoding="utf-8"), p  # noqa: SIM115
    base = p
    flags = os.O_WRONLY | os.O_CREAT | getattr(os, "O_CLOEXEC", 0)
    for n in range(1, FRESH_TRIES + 1):
        if auto_name and n > 1:
            p = base.with_name(f"{base.stem}-{n}{base.suffix}")
        try:
            fd = os.open(p, flags | (0 if overwrite else os.O_EXCL), 0o666)
        except FileExistsError:
            if auto_name:
                continue
            if locked(p):
                raise OutputError(f"{p} is being written by another run: choose another file name") from None
            raise OutputError(f"{p} already exists: choose another name, or pass --overwrite") from None
        _lock(fd, p)
        if overwrite:
            try:
                os.ftruncate(fd, 0)
            except OSError:
                os.close(fd)
                raise
        mode = "wb" if binary else "w"
        if binary:
            return os.fdopen(fd, mode, buffering=0), p
        return os.fdopen(fd, mode, encoding="utf-8"), p
    raise OutputError(f"no free file name like {base} (tried {FRESH_TRIES})")


def write_new(path: PathLike, data: bytes) -> Path:
    """Write a whole camapp-named file (a snapshot, an annotated copy) under a fresh name, never
    replacing anything; a failed write leaves no partial file. Returns the path used."""
    file, p = create(path, auto_name=True)
    try:
        with file:
            view = memoryview(data)
            while view:  # a raw write may stop short (disk or file-size limit): the next one says why
                view = view[file.write(view) :]
    except BaseException:
        with contextlib.suppress(OSError):
            p.unlink()
        raise
    return p
