"""The model store, exercised with the real shared model through the same calls a user makes."""

from __future__ import annotations

import hashlib
import http.server
import os
import threading
import zipfile
from pathlib import Path

import pytest
from conftest import SHARED_MODEL, need

from camapp.errors import CamappError, ModelError
from camapp.store import load_catalog, resolve_model
from camapp.store.catalog import FileSpec, ModelEntry
from camapp.store.fetch import fetch


@pytest.fixture()
def store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("CAMAPP_MODEL_DIR", str(tmp_path / "store"))
    return tmp_path / "store"


@pytest.fixture()
def entry() -> ModelEntry:
    need(SHARED_MODEL / "detect.tflite")
    return load_catalog().default("cpu")


@pytest.fixture()
def official_zip(tmp_path: Path) -> Path:
    """A zip laid out like TensorFlow's coco_ssd_mobilenet_v1_1.0_quant_2018_06_29.zip."""
    path = tmp_path / "coco_ssd_mobilenet_v1_1.0_quant_2018_06_29.zip"
    with zipfile.ZipFile(path, "w") as zf:
        zf.write(SHARED_MODEL / "detect.tflite", "detect.tflite")
        zf.write(SHARED_MODEL / "labelmap.txt", "labelmap.txt")
    return path


def only_installed(store: Path) -> list[str]:
    return sorted(p.name for p in store.iterdir())


def test_import_from_folder_installs_verified_files(store, entry):
    where = fetch(entry, SHARED_MODEL, progress=False, say=lambda _: None)
    assert where == store / entry.name
    digest = hashlib.sha256((where / "detect.tflite").read_bytes()).hexdigest()
    assert digest == entry.files[0].sha256
    model, labels = resolve_model(None)
    assert model == where / "detect.tflite" and labels == where / "labelmap.txt"
    assert only_installed(store) == [entry.name]  # no temp folders left behind


def test_import_from_official_zip(store, entry, official_zip):
    fetch(entry, official_zip, progress=False, say=lambda _: None)
    assert entry.installed


def test_checksum_mismatch_leaves_nothing(store, entry, tmp_path):
    bad = tmp_path / "bad"
    bad.mkdir()
    data = bytearray((SHARED_MODEL / "detect.tflite").read_bytes())
    data[-100] ^= 0xFF  # one flipped byte
    (bad / "detect.tflite").write_bytes(bytes(data))
    (bad / "labelmap.txt").write_bytes((SHARED_MODEL / "labelmap.txt").read_bytes())
    with pytest.raises(ModelError, match="checksum mismatch for detect.tflite"):
        fetch(entry, bad, progress=False)
    assert not entry.installed and only_installed(store) == []


def test_failed_refetch_keeps_the_installed_model(store, entry, tmp_path):
    fetch(entry, SHARED_MODEL, progress=False, say=lambda _: None)
    (tmp_path / "empty").mkdir()
    with pytest.raises(ModelError, match="has no detect.tflite"):
        fetch(entry, tmp_path / "empty", progress=False)
    assert entry.installed and only_installed(store) == [entry.name]


def test_zip_path_traversal_is_ignored(store, entry, tmp_path):
    evil = tmp_path / "evil.zip"
    with zipfile.ZipFile(evil, "w") as zf:
        zf.write(SHARED_MODEL / "detect.tflite", "../../detect.tflite")
        zf.write(SHARED_MODEL / "labelmap.txt", "/abs/labelmap.txt")
    with pytest.raises(ModelError, match="lacks"):
        fetch(entry, evil, progress=False)
    assert not (tmp_path / "detect.tflite").exists() and not entry.installed


def test_not_a_zip(store, entry, tmp_path):
    junk = tmp_path / "model.zip"
    junk.write_text("hello")
    with pytest.raises(ModelError, match="not a valid zip"):
        fetch(entry, junk, progress=False)


class _Handler(http.server.BaseHTTPRequestHandler):
    payload = b""
    cut_at: int | None = None

    def do_GET(self) -> None:  # noqa: N802
        self.send_response(200)
        self.send_header("Content-Length", str(len(self.payload)))
        self.end_headers()
        data = self.payload if self.cut_at is None else self.payload[: self.cut_at]
        self.wfile.write(data)

    def log_message(self, *args) -> None:
        pass


@pytest.fixture()
def server():
    """A loopback HTTP server standing in for the model host (no internet here)."""
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield httpd
    httpd.shutdown()


def _with_url(entry: ModelEntry, url: str) -> ModelEntry:
    return ModelEntry(**{**entry.__dict__, "url": url})


def test_download_verifies_and_installs(store, entry, official_zip, server):
    _Handler.payload, _Handler.cut_at = official_zip.read_bytes(), None
    url = f"http://127.0.0.1:{server.server_port}/model.zip"
    fetch(_with_url(entry, url), progress=False, say=lambda _: None)
    assert entry.installed and only_installed(store) == [entry.name]


def test_interrupted_download_leaves_nothing(store, entry, official_zip, server):
    _Handler.payload = official_zip.read_bytes()
    _Handler.cut_at = len(_Handler.payload) // 2  # the connection drops half way
    url = f"http://127.0.0.1:{server.server_port}/model.zip"
    with pytest.raises(CamappError):
        fetch(_with_url(entry, url), progress=False)
    assert not entry.installed and only_installed(store) == []


def test_unpinned_model_is_checked_as_tflite_and_its_hash_printed(store, tmp_path):
    need(SHARED_MODEL / "detect.tflite")
    src = tmp_path / "src"
    src.mkdir()
    (src / "x.tflite").write_bytes((SHARED_MODEL / "detect.tflite").read_bytes())
    said: list[str] = []
    e = ModelEntry("custom", "", "cpu", 300, "?", "x.tflite", None, (FileSpec("x.tflite"),))
    fetch(e, src, progress=False, say=said.append)
    assert said and "e4b118e5e4531945" in said[0]
    (src / "y.tflite").write_bytes(b"not a model at all")
    e2 = ModelEntry("junk", "", "cpu", 300, "?", "y.tflite", None, (FileSpec("y.tflite"),))
    with pytest.raises(ModelError, match="not a TFLite model"):
        fetch(e2, src, progress=False, say=said.append)
    assert not (store / "junk").exists()


def test_unknown_and_missing_models_are_user_errors(store):
    with pytest.raises(CamappError, match="unknown model 'nope'"):
        resolve_model("nope")
    with pytest.raises(ModelError, match="is not installed: run 'camapp models fetch"):
        resolve_model(None)
    assert os.environ["CAMAPP_MODEL_DIR"] == str(store)
