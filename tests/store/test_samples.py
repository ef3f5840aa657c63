"""Sample clips: fetched and verified through the model store's mechanism, then `sample:NAME`
resolves to the stored file everywhere a source is given. Uses the real shared clips."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from conftest import BOTTLE_CLIP, PERSON_CLIP, VIDEOS, need

from camapp.cli import main
from camapp.errors import ModelError, SourceError
from camapp.sources import make_source
from camapp.store import load_catalog
from camapp.store.fetch import fetch
from camapp.store.samples import expand_sample, sample_path


@pytest.fixture()
def samples(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("CAMAPP_SAMPLE_DIR", str(tmp_path / "samples"))
    return tmp_path / "samples"


def test_catalog_pins_both_shared_clips_by_sha256():
    """The catalog's checksums are those of the published clips (the shared copies)."""
    catalog = load_catalog()
    assert set(catalog.samples) == {"person", "bottle"}
    for name, clip in (("person", PERSON_CLIP), ("bottle", BOTTLE_CLIP)):
        spec = catalog.sample(name).files[0]
        assert spec.name == clip.name
        assert spec.url == f"https://github.com/intel-iot-devkit/sample-videos/raw/master/{clip.name}"
        assert spec.sha256 == hashlib.sha256(need(clip).read_bytes()).hexdigest()
        assert catalog.sample(name).license == "CC BY 4.0"


def test_other_specs_pass_through_unchanged(samples):
    for spec in ("0", "/dev/video2", "clip.mp4", "rtsp://cam/stream", "picam:1", "samples.mp4"):
        assert expand_sample(spec) == spec


def test_fetch_from_folder_then_sample_resolves_everywhere(samples, capsys):
    need(VIDEOS)
    assert main(["samples", "fetch", "--from", str(VIDEOS), "--quiet"]) == 0
    out = capsys.readouterr().out
    assert "installed sample:person" in out and "installed sample:bottle" in out
    person = sample_path("sample:person")
    assert person == samples / "person" / PERSON_CLIP.name and person.is_absolute()
    assert person.read_bytes() == PERSON_CLIP.read_bytes()
    assert sorted(p.name for p in samples.iterdir()) == ["bottle", "person"]  # no temp folders left
    source = make_source("sample:bottle", realtime=False)
    source.open()
    try:
        frame = source.read()
        assert frame is not None and frame.image.shape == (360, 640, 3)
        assert source.size == (640, 360)
    finally:
        source.close()
    assert main(["samples", "list"]) == 0
    listing = capsys.readouterr().out
    assert listing.count(" installed ") == 2 and "not installed" not in listing


def test_run_on_a_sample_detects_bottles(samples, model_store, capsys):
    fetch(load_catalog().sample("bottle"), need(VIDEOS), progress=False)
    rc = main(["run", "--headless", "--source", "sample:bottle", "--max-frames", "15", "--no-realtime"])
    out = capsys.readouterr().out
    assert rc == 0
    assert "source: bottle-detection.mp4" in out and "bottle" in out.split("frames with:")[1]


def test_checksum_mismatch_is_refused_and_nothing_installed(samples, tmp_path, capsys):
    bad = tmp_path / "bad"
    bad.mkdir()
    data = need(BOTTLE_CLIP).read_bytes()
    (bad / BOTTLE_CLIP.name).write_bytes(data[: len(data) // 2])  # a truncated download
    assert main(["samples", "fetch", "bottle", "--from", str(bad)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("camapp: error: checksum mismatch for bottle-detection.mp4 of bottle")
    assert "\n" not in err
    assert not load_catalog().sample("bottle").installed
    assert not samples.exists() or list(samples.iterdir()) == []
    with pytest.raises(ModelError, match="has no one-by-one-person-detection.mp4"):
        fetch(load_catalog().sample("person"), bad, progress=False)


def test_missing_and_unknown_samples_are_one_line_errors(samples, capsys):
    with pytest.raises(
        SourceError, match=r"sample 'person' is not installed: run 'camapp samples fetch person'"
    ):
        make_source("sample:person")
    assert main(["run", "--headless", "--source", "sample:bottle"]) == 2
    err = capsys.readouterr().err
    assert err == (
        "camapp: error: sample 'bottle' is not installed: run 'camapp samples fetch bottle' "
        "(or add --from DIR with a local copy of bottle-detection.mp4)\n"
    )
    assert main(["--source", "sample:cat"]) == 2  # the desktop app's entry, before Qt starts
    assert (
        "unknown sample 'sample:cat': known samples are sample:bottle, sample:person"
        in capsys.readouterr().err
    )
    assert main(["samples", "fetch", "cat"]) == 2
    assert "unknown sample 'cat'" in capsys.readouterr().err
