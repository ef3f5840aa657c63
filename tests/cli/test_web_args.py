"""`camapp run --web` option mistakes: one line, exit 2, before the camera opens."""

from __future__ import annotations

import argparse
import socket

import pytest
from conftest import PERSON_CLIP, need

from camapp.cli import main
from camapp.cli.web_args import web_address


def test_web_address_forms() -> None:
    assert web_address("8080") == ("127.0.0.1", 8080)
    assert web_address("0.0.0.0:8080") == ("0.0.0.0", 8080)
    assert web_address("[::1]:9000") == ("::1", 9000)
    assert web_address(":8080") == ("127.0.0.1", 8080)
    for bad in ("http", "0", "70000", "host:", "a:b"):
        with pytest.raises(argparse.ArgumentTypeError):
            web_address(bad)


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--web-fps", "5"], "--web-fps goes with --web"),
        (["--web-password", "longenough"], "--web-password goes with --web"),
        (["--web-dir", "x"], "--web-dir goes with --web"),
        (["--web", "8080", "--web-password", "short"], "at least 8 characters"),
    ],
)
def test_option_mistakes_exit_2_with_one_line(extra: list[str], message: str, capsys) -> None:
    rc = main(["run", "--headless", "--source", "/nonexistent.mp4", *extra])
    err = capsys.readouterr().err
    assert rc == 2 and message in err and err.count("\n") == 1


def test_bad_port_is_a_usage_error(capsys) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["run", "--headless", "--source", "x.mp4", "--web", "70000"])
    assert exc.value.code == 2
    assert "between 1 and 65535" in capsys.readouterr().err


def test_a_taken_port_is_one_line_and_exit_2(model_store, capsys) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        port = s.getsockname()[1]
        rc = main(["run", "--headless", "--source", str(need(PERSON_CLIP)), "--web", f"127.0.0.1:{port}"])
    err = capsys.readouterr().err
    assert rc == 2
    assert err.strip() == f"camapp: error: --web 127.0.0.1:{port}: the port is already in use"


def test_web_without_its_extra_is_one_line_before_any_recording(tmp_path, capsys, monkeypatch) -> None:
    """As a venv made without the web extra (aiohttp hidden from the import system only)."""
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "aiohttp" else real(name, *a)
    )
    out = tmp_path / "r.mp4"
    rc = main(
        ["run", "--headless", "--source", str(need(PERSON_CLIP)), "--record", str(out), "--web", "8080"]
    )
    err = capsys.readouterr().err.strip().splitlines()
    assert rc == 2 and len(err) == 1 and "pip install -e '.[web]'" in err[0]
    assert not out.exists()
