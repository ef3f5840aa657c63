"""`camapp` with no sub-command: options, --reset-settings, and a clear message without PyQt6."""

from __future__ import annotations

import sys

import pytest

from camapp.cli import main
from camapp.cli.gui import PYQT_MISSING, build_parser
from camapp.gui.paths import settings_path


def test_without_pyqt6_the_user_is_told_what_to_install(monkeypatch, capsys):
    """PyQt6 is installed here, so its absence is simulated at the import boundary only."""
    for name in [m for m in sys.modules if m == "PyQt6" or m.startswith("PyQt6.")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "PyQt6", None)
    assert main(["--source", "0"]) == 2
    err = capsys.readouterr().err
    assert err.strip() == f"camapp: error: {PYQT_MISSING}"
    assert "pip install -e '.[gui]'" in err and "python3-pyqt6" in err and "--system-site-packages" in err


def test_reset_settings_deletes_the_file_before_starting(monkeypatch, capsys):
    path = settings_path()
    path.parent.mkdir(parents=True)
    path.write_text("[General]\nthreshold=0.9\n")
    monkeypatch.setitem(sys.modules, "PyQt6", None)  # stop right after the reset
    assert main(["--reset-settings"]) == 2
    assert not path.exists()
    assert "settings reset" in capsys.readouterr().out


def test_bad_options_are_usage_errors(capsys):
    with pytest.raises(SystemExit) as exc:
        build_parser().parse_args(["--threshold", "3"])
    assert exc.value.code == 2
    assert "between 0 and 1" in capsys.readouterr().err


def test_a_sample_source_opens_the_app_on_the_stored_clip(monkeypatch, tmp_path):
    """`camapp --source sample:bottle` hands the app the clip's absolute path (so it loops and is
    remembered as a file). The window itself is replaced at the `run` boundary: no display needed."""
    from conftest import VIDEOS, need

    from camapp.store import load_catalog
    from camapp.store.fetch import fetch

    monkeypatch.setenv("CAMAPP_SAMPLE_DIR", str(tmp_path / "samples"))
    fetch(load_catalog().sample("bottle"), need(VIDEOS), progress=False)
    seen = {}
    monkeypatch.setattr(
        "camapp.gui.app.run", lambda options, **_: seen.setdefault("source", options.source) and 0
    )
    assert main(["--source", "sample:bottle"]) == 0
    assert seen["source"] == str(tmp_path / "samples" / "bottle" / "bottle-detection.mp4")


def test_a_relative_file_is_handed_over_and_remembered_absolute(monkeypatch, tmp_path):
    """Started from the clip's folder with `--source clip.mp4`, the app gets (and so stores in its
    settings) the absolute path, which still opens when it is next started elsewhere; a camera
    index and a URL pass through as given."""
    from conftest import BOTTLE_CLIP, need

    clip = need(BOTTLE_CLIP)
    seen: list[str] = []
    monkeypatch.setattr("camapp.gui.app.run", lambda options, **_: seen.append(options.source) or 0)
    monkeypatch.chdir(clip.parent)
    assert main(["--source", clip.name]) == 0
    assert main(["--source", "./" + clip.name]) == 0
    assert main(["--source", "0"]) == 0
    assert main(["--source", "rtsp://127.0.0.1:8554/cam"]) == 0
    assert seen == [str(clip.resolve()), str(clip.resolve()), "0", "rtsp://127.0.0.1:8554/cam"]
