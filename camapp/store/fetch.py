"""Installing a catalog model: download or import, verify, then move into place atomically.

Everything is written to a temporary folder inside the store and renamed into place only after
every file verified, so an interrupted or corrupt fetch never leaves a half-written model.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
import urllib.error
import urllib.request
import zipfile
from collections.abc import Callable
from pathlib import Path, PurePosixPath

from tqdm import tqdm

from camapp.errors import CamappError, ModelError
from camapp.store.catalog import FileSpec, ModelEntry
from camapp.store.paths import model_dir

CHUNK = 1 << 16


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(CHUNK), b""):
            h.update(block)
    return h.hexdigest()


def download(url: str, dest: Path, progress: bool = True, timeout: float = 30.0) -> None:
    """Stream `url` to `dest` with a progress bar; a clear error if the network says no."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as resp, open(dest, "wb") as out:
            total = int(resp.headers.get("Content-Length") or 0) or None
            with tqdm(
                total=total,
                unit="B",
                unit_scale=True,
                unit_divisor=1024,
                desc=PurePosixPath(url).name[:40],
                disable=not progress,
                leave=False,
            ) as bar:
                for block in iter(lambda: resp.read(CHUNK), b""):
                    out.write(block)
                    bar.update(len(block))
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
                with zf.open(info) as src, open(dest / name, "wb") as out:
                    shutil.copyfileobj(src, out, CHUNK)
    except zipfile.BadZipFile:
        raise ModelError(f"{archive} is not a valid zip archive") from None


def _gather(entry: ModelEntry, source: Path | None, tmp: Path, progress: bool) -> None:
    if source is not None:
        if not source.exists():
            raise CamappError(f"--from {source}: no such file or folder")
        if source.is_dir():
            for f in entry.files:
                if not (source / f.name).is_file():
                    raise ModelError(f"{source} has no {f.name} (needed by {entry.name})")
                shutil.copyfile(source / f.name, tmp / f.name)
        else:
            extract_zip(source, entry.files, tmp)
        return
    if entry.url:
        archive = tmp / ".download"
        download(entry.url, archive, progress)
        if entry.archive == "zip":
            extract_zip(archive, entry.files, tmp)
            archive.unlink()
        else:
            archive.rename(tmp / entry.files[0].name)
    for f in entry.files:
        if not (tmp / f.name).exists():
            if not f.url:
                raise CamappError(f"catalog entry {entry.name} has no download URL for {f.name}")
            download(f.url, tmp / f.name, progress)


def verify(entry: ModelEntry, folder: Path, say: Callable[[str], None]) -> None:
    """Check pinned checksums; for unpinned models, check the TFLite signature and print the hash."""
    from camapp.tflite.model import read_model

    for f in entry.files:
        digest = sha256_file(folder / f.name)
        if f.sha256 and digest != f.sha256.lower():
            raise ModelError(
                f"checksum mismatch for {f.name} of {entry.name}: expected {f.sha256}, got {digest}"
            )
        if not f.sha256:
            say(f"{f.name}: sha256 {digest} (not pinned in the catalog)")
    read_model(folder / entry.model)


def fetch(
    entry: ModelEntry,
    source: str | Path | None = None,
    *,
    progress: bool = True,
    say: Callable[[str], None] = print,
) -> Path:
    """Install `entry` from `source` (folder or zip) or its URL; returns the install folder."""
    store = model_dir()
    try:
        store.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{entry.name}-", dir=store))
    except OSError as exc:
        raise CamappError(f"cannot write to the model store {store}: {exc.strerror or exc}") from None
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
