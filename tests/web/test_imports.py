"""The desktop app and `camapp run` without --web load nothing of the web stack."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from conftest import PERSON_CLIP, ROOT, need

WEB = ("aiohttp", "camapp.web", "multidict", "yarl")
PROBE = "import sys; {body}; print(sorted(m for m in sys.modules if m.startswith({web!r})))"


def loaded(body: str, model_store: Path | None = None) -> list[str]:
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    if model_store is not None:
        env["CAMAPP_MODEL_DIR"] = str(model_store)
    out = subprocess.run(
        [sys.executable, "-c", PROBE.format(body=body, web=WEB)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr
    return eval(out.stdout.strip().splitlines()[-1])


def test_run_without_web_imports_no_web_module(model_store: Path) -> None:
    clip = need(PERSON_CLIP)
    body = (
        "from camapp.cli import main; "
        f"assert main(['run', '--headless', '--source', {str(clip)!r}, '--max-frames', '5', '--no-realtime']) == 0"
    )
    assert loaded(body, model_store) == []


def test_run_with_web_does_import_it(model_store: Path) -> None:
    """The probe can fail: the same run with --web loads aiohttp."""
    import socket

    clip = need(PERSON_CLIP)

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    body = (
        "from camapp.cli import main; "
        f"assert main(['run', '--headless', '--source', {str(clip)!r}, '--max-frames', '5', "
        f"'--no-realtime', '--web', '127.0.0.1:{port}']) == 0"
    )
    assert "aiohttp" in loaded(body, model_store)


def test_desktop_app_modules_import_no_web_module() -> None:
    body = (
        "import camapp.cli.gui, camapp.gui.app, camapp.gui.window; "
        "from camapp.cli import build_parser; build_parser()"
    )
    assert loaded(body) == []
