"""The key, the origin checks and the stored token."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from camapp.web.security import Guard, Throttle, client_id, is_loopback, load_or_create_token


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


def test_the_key_and_the_cookie_are_compared_in_constant_time(monkeypatch) -> None:
    """`==` would leak, through timing, how much of a guess is right; only a spy can tell."""
    import hmac

    compared: list[tuple[bytes, bytes]] = []
    real = hmac.compare_digest

    def spy(a: bytes, b: bytes) -> bool:
        compared.append((a, b))
        return real(a, b)

    monkeypatch.setattr(hmac, "compare_digest", spy)
    g = Guard("s3cret-key", loopback_only=False)
    assert g.key_ok("s3cret-key") and not g.key_ok("s3cret-kez")
    assert compared == [(b"s3cret-key", b"s3cret-key"), (b"s3cret-kez", b"s3cret-key")]
    compared.clear()
    assert g.cookie_ok(g.cookie) and not g.cookie_ok("0" * 64)
    assert [b for _, b in compared] == [g.cookie.encode()] * 2  # type: ignore[union-attr]


def test_a_sibling_site_may_not_send_a_control() -> None:
    """Sec-Fetch-Site same-site is another origin (another port or subdomain on the LAN)."""
    for g in (Guard("s3cret-key", loopback_only=False), Guard(None, loopback_only=True)):
        key = "s3cret-key" if g.secret else ""
        host = "127.0.0.1:8080"
        for site in ("same-site", "cross-site"):
            refused = g.check_control(key, None, host, site)
            assert refused and refused.status == 403 and "cross-origin" in refused.reason, site
        assert g.check_control(key, None, host, "same-origin") is None
        assert g.check_control(key, None, host, "none") is None  # typed into the address bar


def test_the_cookie_signs_in_without_the_key() -> None:
    g = Guard("s3cret-key", loopback_only=False)
    assert g.cookie and "s3cret" not in g.cookie and len(g.cookie) == 64
    assert g.cookie == Guard("s3cret-key", loopback_only=False).cookie  # stable across restarts
    assert g.cookie != Guard("other-secret", loopback_only=False).cookie  # a new password ends it
    assert g.check_read(None, g.cookie) is None
    assert g.check_control("", None, "h:1", "same-origin", g.cookie) is None  # empty header + cookie
    refused = g.check_control(None, None, "h:1", "same-origin", g.cookie)  # the header is still needed
    assert refused and refused.status == 403
    refused = g.check_read(None, g.cookie[:-1] + "0")
    assert refused and refused.status == 401
    assert Guard(None, loopback_only=True).cookie is None


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_wrong_keys_are_throttled_per_client_within_the_window(caplog: pytest.LogCaptureFixture) -> None:
    clock = Clock()
    g = Guard("s3cret-key", loopback_only=False, throttle=Throttle(limit=10, window=60.0, clock=clock))
    codes = []
    for _ in range(12):
        refused = g.check_read("wrong", None, "10.0.0.5")
        codes.append(refused.status if refused else 200)
        clock.now += 1.0
    assert codes == [401] * 10 + [429] * 2
    # one warning for the operator when the door closes, none for the 429s after it
    warned = [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]
    assert warned == ["web: 10 wrong keys from 10.0.0.5 within 60 s; refusing it for 51 s"], warned
    refused = g.check_read("s3cret-key", None, "10.0.0.5")  # the right key is not even looked at
    assert refused and refused.status == 429
    assert refused.retry_after == 48  # the first failure (t=1000) leaves the window at t=1060; now 1012
    assert refused.reason == "too many wrong keys: try again in 48 s"
    assert g.check_read("s3cret-key", None, "10.0.0.6") is None  # another address is not affected
    assert g.check_read(None, g.cookie, "10.0.0.5").status == 429  # type: ignore[union-attr]
    clock.now = 1059.5
    assert g.check_read("s3cret-key", None, "10.0.0.5").retry_after == 1  # type: ignore[union-attr]
    clock.now = 1060.0  # exactly a window after the first failure: 9 remain in it
    assert g.check_read("s3cret-key", None, "10.0.0.5") is None
    assert g.check_read("wrong", None, "10.0.0.5").status == 401  # type: ignore[union-attr]
    assert g.check_read("wrong", None, "10.0.0.5").status == 429  # type: ignore[union-attr]


def test_requests_without_a_key_are_not_counted_and_429_waits_are_whole_seconds() -> None:
    clock = Clock()
    g = Guard("s3cret-key", loopback_only=False, throttle=Throttle(limit=3, window=10.0, clock=clock))
    for _ in range(20):  # the page's first look carries nothing: not a guess
        assert g.check_read(None, None, "10.0.0.5").status == 401  # type: ignore[union-attr]
        assert g.check_read("", "", "10.0.0.5").status == 401  # type: ignore[union-attr]
    for _ in range(3):
        g.check_control("wrong", None, "h:1", None, None, "10.0.0.5")  # controls count too
    clock.now += 9.2
    refused = g.check_read(None, None, "10.0.0.5")
    assert refused and refused.status == 429 and refused.retry_after == 1  # 0.8 s rounds up


def test_an_ipv6_client_counts_per_64_and_the_table_is_bounded() -> None:
    assert client_id("2001:db8:1:2:aaaa::1") == client_id("2001:db8:1:2:ffff::9") == "2001:db8:1:2::/64"
    assert client_id("2001:db8:1:3::1") != client_id("2001:db8:1:2::1")
    assert client_id("::ffff:10.0.0.5") == "10.0.0.5" and client_id("fe80::1%eth0") == "fe80::/64"
    assert client_id(None) == "" and client_id("10.0.0.5") == "10.0.0.5"
    clock = Clock()
    t = Throttle(limit=2, window=60.0, clock=clock, max_clients=3)
    for ip in ("2001:db8::1", "2001:db8::2"):
        t.failed(ip)
    assert t.wait("2001:db8::3") == 60.0
    for n in range(3):
        t.failed(f"10.0.0.{n}")
    assert t.wait("2001:db8::3") == 0.0  # the oldest client was forgotten to keep the table bounded
    assert len(t._fails) == 3
    with pytest.raises(ValueError):
        Throttle(limit=0)
