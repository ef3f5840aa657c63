"""Installing a catalog model or sample clip: download or import, verify, then move into place atomically.

Everything is written to a temporary folder inside the store and renamed into place only after
every file verified, so an interrupted or corrupt fetch never leaves a half-written model.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import signal
import tempfile
import threading
import urllib.error
import urllib.request
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path, PurePosixPath
from typing import IO, Any

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows: no store lock
    fcntl = None  # type: ignore[assignment]

from tqdm import tqdm

from camapp.errors import CamappError, ModelError
from camapp.store.catalog import FileSpec, ModelEntry, SampleEntry

CHUNK = 1 << 16
# A file whose size the catalog does not pin may be at most this big: a model, not a disk filler.
MAX_FILE_BYTES = 512 * 1024 * 1024
TMP_PREFIX = ".fetch-"  # temporaries in the store; a fetch killed with -9 leaves one, the next removes it


def _limit(spec: FileSpec | None) -> int:
    return spec.size if spec is not None and spec.size else MAX_FILE_BYTES


def copy_capped(
    src: IO[bytes], out: IO[bytes], limit: int, what: str, on_block: Callable[[int], Any] | None = None
) -> None:
    """Copy at most `limit` bytes; more is refused (ModelError) before it is all written out.
    `on_block(n)` after each block written (a progress bar)."""
    written = 0
    for block in iter(lambda: src.read(CHUNK), b""):
        written += len(block)
        if written > limit:
            raise ModelError(f"{what} is larger than the catalog says ({limit} bytes): refused")
        out.write(block)
        if on_block is not None:
            on_block(len(block))


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(CHUNK), b""):
            h.update(block)
    return h.hexdigest()


def download(
    url: str, dest: Path, progress: bool = True, timeout: float = 30.0, limit: int = MAX_FILE_BYTES
) -> None:
    """Stream `url` to `dest` with a progress bar; a clear error if the network says no."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as resp, open(dest, "wb") as out:
            total = int(resp.headers.get("Content-Length") or 0) or None
            if total and total > limit:
                raise ModelError(f"{url} is {total} bytes, more than the {limit} expected: refused")
            with tqdm(
                total=total,
                unit="B",
                unit_scale=True,
                unit_divisor=1024,
                desc=PurePosixPath(url).name[:40],
                disable=not progress,
                leave=False,
            ) as bar:
                copy_capped(resp, out, limit, url, bar.update)
    except (urllib.error.URLError, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", None) or exc
        raise CamappError(f"download of {url} failed: {reason}") from None


def safe_member(info: zipfile.ZipInfo, wanted: set[str]) -> str | None:
    """The wanted file name a zip member provides, refusing absolute or `..` paths."""
    p = PurePosixPath(info.filename.replace("\\", "/"))
    if p.is_absolute() or ".." in p.parts or info.is_dir():
        return None
    return p.name if p.name in wanted else None


def extract_zip(archive: Path, files: tuple[FileSpec, ...], dest: Path) -> None:
    wanted = {f.name for f in files}
    specs = {f.name: f for f in files}
    try:
        with zipfile.ZipFile(archive) as zf:
            found = {}
            for info in zf.infolist():
                name = safe_member(info, wanted)
                if name and name not in found:
                    found[name] = info
            missing = wanted - set(found)
            if missing:
                raise ModelError(f"{archive} lacks {', '.join(sorted(missing))}")
            for name, info in found.items():
                limit = _limit(specs[name])
                if info.file_size > limit:  # the header says so: refused before a byte is written
                    raise ModelError(
                        f"{name} in {archive.name} is {info.file_size} bytes, more than the "
                        f"{limit} the catalog says: refused"
                    )
                with zf.open(info) as src, open(dest / name, "wb") as out:
                    copy_capped(src, out, limit, f"{name} in {archive.name}")  # headers can lie
    except zipfile.BadZipFile:
        raise ModelError(f"{archive} is not a valid zip archive") from None


def _gather(entry: ModelEntry | SampleEntry, source: Path | None, tmp: Path, progress: bool) -> None:
    if source is not None:
        if not source.exists():
            raise CamappError(f"--from {source}: no such file or folder")
        if source.is_dir():
            for f in entry.files:
                if not (source / f.name).is_file():
                    raise ModelError(f"{source} has no {f.name} (needed by {entry.name})")
                with open(source / f.name, "rb") as src, open(tmp / f.name, "wb") as out:
                    copy_capped(src, out, _limit(f), str(source / f.name))
        else:
            extract_zip(source, entry.files, tmp)
        return
    if entry.url:
        archive = tmp / ".download"
        single = entry.archive != "zip" and len(entry.files) == 1
        download(entry.url, archive, progress, limit=_limit(entry.files[0]) if single else MAX_FILE_BYTES)
        if entry.archive == "zip":
            extract_zip(archive, entry.files, tmp)
            archive.unlink()
        else:
            archive.rename(tmp / entry.files[0].name)
    for f in entry.files:
        if not (tmp / f.name).exists():
            if not f.url:
                raise CamappError(f"catalog entry {entry.name} has no download URL for {f.name}")
            download(f.url, tmp / f.name, progress, limit=_limit(f))


def verify(entry: ModelEntry | SampleEntry, folder: Path, say: Callable[[str], None]) -> None:
    """Check pinned checksums; for unpinned models, check the TFLite signature and print the hash."""

    for f in entry.files:
        digest = sha256_file(folder / f.name)
        if f.sha256 and digest != f.sha256.lower():
            raise ModelError(
                f"checksum mismatch for {f.name} of {entry.name}: expected {f.sha256}, got {digest}"
            )
        if not f.sha256:
            say(f"{f.name}: sha256 {digest} (not pinned in the catalog)")
    if isinstance(entry, ModelEntry):
        from camapp.tflite.model import read_model

        read_model(folder / entry.model)


def verified(entry: ModelEntry | SampleEntry) -> bool:
    """Whether `entry` is installed and its files pass the same checks as a fresh fetch (pinned
    SHA-256; a readable TFLite model): then fetching it again would change nothing."""
    if not entry.installed:
        return False
    try:
        verify(entry, entry.install_dir, lambda _: None)
    except (CamappError, OSError):
        return False
    return True


def fetch(
    entry: ModelEntry | SampleEntry,
    source: str | Path | None = None,
    *,
    progress: bool = True,
    say: Callable[[str], None] = print,
) -> Path:
    """Install `entry` from `source` (folder or zip) or its URL; returns the install folder."""
    store = entry.install_dir.parent
    what = "model" if isinstance(entry, ModelEntry) else "sample"
    try:
        store.mkdir(parents=True, exist_ok=True)
        lock = lock_store(store)
    except OSError as exc:
        raise CamappError(f"cannot write to the {what} store {store}: {exc.strerror or exc}") from None
    try:
        with _terminate_as_interrupt():
            return _install(entry, source, store, progress, say)
    finally:
        os.close(lock)


def lock_store(store: Path) -> int:
    """Hold the store's lock (flock on the folder itself: no lock file) and remove temporaries
    that a killed fetch left; a second fetch at the same time gets one line, exit 2."""
    fd = os.open(store, os.O_RDONLY | getattr(os, "O_CLOEXEC", 0))
    if fcntl is not None:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            raise CamappError(f"another camapp is installing into the store {store}: try again") from None
    for p in store.iterdir():
        if p.name.startswith((TMP_PREFIX, ".old-")):
            shutil.rmtree(p, ignore_errors=True)
    return fd


@contextlib.contextmanager
def _terminate_as_interrupt() -> Iterator[None]:
    """SIGTERM (kill, systemd stop) unwinds like Ctrl-C, so the temporary folder is removed."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def raise_interrupt(_signum: int, _frame: object) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, raise_interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _install(
    entry: ModelEntry | SampleEntry,
    source: str | Path | None,
    store: Path,
    progress: bool,
    say: Callable[[str], None],
) -> Path:
    what = "model" if isinstance(entry, ModelEntry) else "sample"
    if source is not None:
        src, final = Path(source).expanduser().resolve(), entry.install_dir.resolve()
        if src == final or final in src.parents:  # the install replaces that folder: it would go too
            raise CamappError(
                f"--from {source} is inside {final}, which this fetch replaces: move it elsewhere first"
            )
    try:
        tmp = Path(tempfile.mkdtemp(prefix=f"{TMP_PREFIX}{entry.name}-", dir=store))
    except OSError as exc:
        raise CamappError(f"cannot write to the {what} store {store}: {exc.strerror or exc}") from None
    old = None
    try:
        _gather(entry, Path(source).expanduser() if source else None, tmp, progress)
        verify(entry, tmp, say)
        final = entry.install_dir
        if final.exists():
            old = store / f".old-{entry.name}-{os.getpid()}"
            final.rename(old)
        tmp.rename(final)
    except OSError as exc:
        raise CamappError(f"cannot install {entry.name}: {exc.strerror or exc}") from None
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    return final
