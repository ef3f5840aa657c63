"""The secret policy of `camapp.web.bind.start`. Tests never listen beyond loopback, so for the
LAN address the socket bind itself (WebServer.start) is replaced; everything else is real."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from camapp.errors import CamappError
from camapp.web import bind
from camapp.web.runner import WebServer


class Quiet:
    """The smallest WebSession: the policy under test never calls it."""

    record_dir = Path(".")


@pytest.fixture()
def no_bind(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setattr(WebServer, "start", lambda self: None)
    return tmp_path / "config" / "camapp" / "web-token"


def test_a_lan_address_gets_a_stored_key_printed_once(no_bind: Path) -> None:
    said: list[str] = []
    server = bind.start(Quiet(), "0.0.0.0", 8080, say=said.append)  # type: ignore[arg-type]
    token = no_bind.read_text().strip()
    assert stat.S_IMODE(no_bind.stat().st_mode) == 0o600
    assert server.guard.secret == token and not server.guard.loopback_only
    assert f"?key={token}" in said[0] and str(no_bind) in said[0]
    again = bind.start(Quiet(), "0.0.0.0", 8080, say=said.append)  # type: ignore[arg-type]
    assert again.guard.secret == token and token not in said[1]  # shown once only


def test_a_password_replaces_the_key_and_is_never_printed(no_bind: Path) -> None:
    said: list[str] = []
    server = bind.start(Quiet(), "192.168.1.20", 8080, password="long-enough", say=said.append)  # type: ignore[arg-type]
    assert server.guard.secret == "long-enough" and "long-enough" not in said[0]
    assert not no_bind.exists()
    with pytest.raises(CamappError, match="at least 8"):
        bind.start(Quiet(), "192.168.1.20", 8080, password="short")  # type: ignore[arg-type]


def test_loopback_needs_no_secret_and_makes_no_key(no_bind: Path) -> None:
    said: list[str] = []
    server = bind.start(Quiet(), "127.0.0.1", 8080, say=said.append)  # type: ignore[arg-type]
    assert server.guard.secret is None and server.guard.loopback_only
    assert said == ["web: http://127.0.0.1:8080/"] and not no_bind.exists()
