"""An oversized, interrupted, killed or concurrent model fetch leaves no temporary data in the store.

The "host" is a loopback HTTP server; the interrupted fetches are real child processes sent real
SIGTERM / SIGKILL.
"""

from __future__ import annotations

import io
import os
import signal
import subprocess
import sys
import threading
import time
import zipfile
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from conftest import SHARED_MODEL, need

from camapp.errors import CamappError, ModelError
from camapp.store import load_catalog
from camapp.store.fetch import copy_capped, fetch, lock_store


@pytest.fixture()
def store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("CAMAPP_MODEL_DIR", str(tmp_path / "store"))
    return tmp_path / "store"


@pytest.fixture()
def entry():
    need(SHARED_MODEL / "detect.tflite")
    return load_catalog().default("cpu")


def test_a_zip_member_larger_than_the_catalog_says_is_refused(store, entry, tmp_path):
    big = tmp_path / "big.zip"
    with zipfile.ZipFile(big, "w") as zf:
        zf.writestr("detect.tflite", (SHARED_MODEL / "detect.tflite").read_bytes() + b"\0" * 50_000_000)
        zf.write(SHARED_MODEL / "labelmap.txt", "labelmap.txt")
    with pytest.raises(
        ModelError, match=r"detect.tflite in big.zip is 54183312 bytes, more than the 4183312"
    ):
        fetch(entry, big, progress=False, say=lambda _: None)
    assert not entry.installed and sorted(os.listdir(store)) == []


def test_a_member_whose_header_lies_is_cut_off_at_the_catalog_size():
    out = io.BytesIO()
    with pytest.raises(ModelError, match="larger than the catalog says"):
        copy_capped(io.BytesIO(b"x" * 300_000), out, 100_000, "detect.tflite")
    assert out.tell() <= 100_000  # never written out in full


def test_a_second_fetch_at_the_same_time_is_refused(store, entry):
    store.mkdir(parents=True)
    fd = lock_store(store)
    try:
        with pytest.raises(CamappError, match="another camapp is installing"):
            fetch(entry, SHARED_MODEL, progress=False, say=lambda _: None)
    finally:
        os.close(fd)
    fetch(entry, SHARED_MODEL, progress=False, say=lambda _: None)
    assert sorted(os.listdir(store)) == [entry.name]


class Slow(BaseHTTPRequestHandler):
    """Sends the first 64 kB of a zip, then stalls: a fetch caught mid-download."""

    payload = b""

    def log_message(self, *args: object) -> None:
        pass

    def do_GET(self) -> None:  # noqa: N802
        self.send_response(200)
        self.send_header("Content-Length", str(len(self.payload)))
        self.end_headers()
        try:
            self.wfile.write(self.payload[:65536])
            self.wfile.flush()
            time.sleep(30)
        except (BrokenPipeError, ConnectionResetError):
            pass


CHILD = """
import sys
from camapp.store import load_catalog
from camapp.store.catalog import ModelEntry
from camapp.store.fetch import fetch
e = load_catalog().default("cpu")
fetch(ModelEntry(**{**e.__dict__, "url": sys.argv[1]}), progress=False)
"""


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT, signal.SIGKILL])
def test_an_interrupted_download_leaves_no_temporary_data(store, entry, tmp_path, sig):
    payload = io.BytesIO()
    with zipfile.ZipFile(payload, "w") as zf:
        zf.write(SHARED_MODEL / "detect.tflite", "detect.tflite")
        zf.write(SHARED_MODEL / "labelmap.txt", "labelmap.txt")
    Slow.payload = payload.getvalue()
    server = ThreadingHTTPServer(("127.0.0.1", 0), Slow)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/model.zip"
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, url], env={**os.environ, "CAMAPP_MODEL_DIR": str(store)}
    )
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            tmp = [p for p in store.glob(".*/.download") if p.stat().st_size > 0] if store.exists() else []
            if tmp:
                break
            time.sleep(0.05)
        assert tmp, "the child never started downloading"
        child.send_signal(sig)
        child.wait(timeout=30)
    finally:
        child.kill()
        server.shutdown()
        server.server_close()
    if sig != signal.SIGKILL:
        assert sorted(os.listdir(store)) == []  # cleaned on the way out
    else:  # nothing runs on SIGKILL: the next fetch clears what was left
        assert os.listdir(store)
        fetch(entry, SHARED_MODEL, progress=False, say=lambda _: None)
        assert sorted(os.listdir(store)) == [entry.name]


def test_a_source_inside_the_folder_being_replaced_is_refused_and_kept(store, entry, tmp_path):
    fetch(entry, SHARED_MODEL, progress=False, say=lambda _: None)
    mine = entry.install_dir / "mine.zip"
    with zipfile.ZipFile(mine, "w") as zf:
        zf.write(SHARED_MODEL / "detect.tflite", "detect.tflite")
        zf.write(SHARED_MODEL / "labelmap.txt", "labelmap.txt")
    for source in (mine, entry.install_dir):
        with pytest.raises(CamappError, match="which this fetch replaces: move it elsewhere first"):
            fetch(entry, source, progress=False, say=lambda _: None)
    assert mine.exists() and entry.installed  # the user's zip was not deleted with the old install
