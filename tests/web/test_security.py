"""The key, the origin checks and the stored token."""

from __future__ import annotations

import stat
from pathlib import Path

from camapp.web.security import Guard, is_loopback, load_or_create_token


def test_loopback_addresses() -> None:
    for host in ("127.0.0.1", "127.3.4.5", "::1", "[::1]", "localhost"):
        assert is_loopback(host), host
    for host in ("0.0.0.0", "::", "192.168.1.20", "10.0.0.1", "example.com", "localhost.example.com", ""):
        assert not is_loopback(host), host


def test_token_is_made_once_with_mode_0600_and_then_reused(tmp_path: Path) -> None:
    path = tmp_path / "cfg" / "web-token"
    token, created = load_or_create_token(path)
    assert created and len(token) >= 24
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert load_or_create_token(path) == (token, False)
    path.write_text("short")  # a damaged file is replaced, not trusted
    again, created = load_or_create_token(path)
    assert created and again != "short" and stat.S_IMODE(path.stat().st_mode) == 0o600


def test_guard_with_a_secret() -> None:
    g = Guard("s3cret-key", loopback_only=False)
    assert g.check_read("s3cret-key") is None
    for bad in (None, "", "s3cret", "s3cret-key ", "é"):
        assert g.check_read(bad)
    host = "cam.local:8080"
    assert g.check_control("s3cret-key", None, host, None) is None
    assert g.check_control("s3cret-key", "http://cam.local:8080", host, "same-origin") is None
    assert g.check_control(None, None, host, None)  # no header: a plain form post cannot send one
    assert g.check_control("wrong", None, host, None)
    assert g.check_control("s3cret-key", "http://evil.example", host, None)
    assert g.check_control("s3cret-key", "null", host, None)
    assert g.check_control("s3cret-key", None, host, "cross-site")
    assert g.check_host("anything.example:8080") is None  # a LAN bind serves any name


def test_guard_on_loopback_without_a_secret_still_refuses_other_sites() -> None:
    g = Guard(None, loopback_only=True)
    assert g.check_read(None) is None
    assert g.check_control("", None, "127.0.0.1:8080", None) is None
    assert g.check_control("", "http://evil.example", "127.0.0.1:8080", None)
    assert g.check_control(None, None, "127.0.0.1:8080", None)
    assert g.check_host("localhost:8080") is None and g.check_host("[::1]:8080") is None
    assert g.check_host("rebind.example:8080")  # DNS rebinding
