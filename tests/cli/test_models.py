"""`camapp models fetch` / `camapp samples fetch` on an installed store: nothing to do, offline too."""

from __future__ import annotations

import shutil
import urllib.error
import urllib.request

import pytest
from conftest import PERSON_CLIP, SHARED_MODEL, need

from camapp.cli import main
from camapp.store import load_catalog


@pytest.fixture()
def offline(monkeypatch):
    """No network: any download attempt fails as it would without one, and is recorded."""
    tried = []

    def no_network(url, *args, **kwargs):
        tried.append(getattr(url, "full_url", url))
        raise urllib.error.URLError("Temporary failure in name resolution")

    monkeypatch.setattr(urllib.request, "urlopen", no_network)
    return tried


@pytest.fixture()
def store(tmp_path, monkeypatch):
    monkeypatch.setenv("CAMAPP_MODEL_DIR", str(tmp_path / "models"))
    monkeypatch.setenv("CAMAPP_SAMPLE_DIR", str(tmp_path / "samples"))
    need(SHARED_MODEL / "detect.tflite")
    assert main(["models", "fetch", "--quiet", "--from", str(SHARED_MODEL)]) == 0
    return tmp_path


def test_fetching_an_installed_verified_model_is_one_line_and_works_offline(store, offline, capsys):
    capsys.readouterr()
    entry = load_catalog().default("cpu")
    before = (entry.install_dir / "detect.tflite").stat().st_mtime_ns
    assert main(["models", "fetch"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out == [f"{entry.name} is installed and verified in {entry.install_dir}: nothing to fetch"]
    assert offline == [] and (entry.install_dir / "detect.tflite").stat().st_mtime_ns == before


def test_a_damaged_install_is_fetched_again(store, offline, capsys):
    entry = load_catalog().default("cpu")
    model = entry.install_dir / "detect.tflite"
    data = bytearray(model.read_bytes())
    data[-100] ^= 0xFF
    model.write_bytes(bytes(data))
    assert main(["models", "fetch"]) == 2  # it tried the network: offline, one line
    assert offline and "download of" in capsys.readouterr().err


def test_force_downloads_again(store, offline):
    assert main(["models", "fetch", "--force", "--quiet"]) == 2 and offline


def test_fetching_installed_samples_is_a_line_each_offline(store, offline, capsys, tmp_path):
    clips = tmp_path / "clips"
    clips.mkdir()
    for entry in load_catalog().samples.values():
        shutil.copy(need(PERSON_CLIP).parent / entry.files[0].name, clips)
    assert main(["samples", "fetch", "--quiet", "--from", str(clips)]) == 0
    capsys.readouterr()
    assert main(["samples", "fetch"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert len(out) == len(load_catalog().samples) and all(
        line.endswith(": nothing to fetch") for line in out
    )
    assert offline == []
