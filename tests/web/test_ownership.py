"""The page stops only what it started: `camapp run --record` and `--record-on` go on."""

from __future__ import annotations

from pathlib import Path

import pytest
from web.client import Web
from web.conftest import start_run, stop_run


@pytest.fixture(scope="module")
def recording_run(model_store: Path, tmp_path_factory: pytest.TempPathFactory):
    folder = tmp_path_factory.mktemp("web-owned")
    proc, url, _ = start_run(
        model_store, folder, "--record", str(folder / "cli.mp4"), "--record-on", "person"
    )
    try:
        web = Web(url)
        web.wait_status(lambda s: s["recording"]["frames"] > 5, timeout=60)
        yield web, folder
    finally:
        out = stop_run(proc)
    assert proc.returncode == 0 and "Traceback" not in out, out


def test_the_command_lines_recording_is_shown_but_not_stopped(recording_run) -> None:
    web, folder = recording_run
    s = web.status()
    assert s["recording"]["on"] and not s["recording"]["mine"]
    assert s["recording"]["path"] == str(folder / "cli.mp4")
    assert "camapp run --record" in web.post("record", {"on": False}, expect=400)
    assert "already recording" in web.post("record", {"on": True}, expect=400)
    assert s["events"]["on"] and not s["events"]["mine"]
    assert "--record-on" in web.post("events", {"on": False}, expect=400)
    frames = s["recording"]["frames"]
    web.wait_status(lambda s: s["recording"]["on"] and s["recording"]["frames"] > frames)
