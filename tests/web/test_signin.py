"""Signing in to a password-protected browser view: wrong keys are throttled per client address,
and the page's cookie replaces the key in every later request.

Each test speaks from loopback addresses of its own (127.0.0.x): to the server, each is another
client, so one test's throttled address does not answer for another's.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import PERSON_CLIP, need
from web.client import Figures, Mjpeg, Web
from web.conftest import running

from camapp.web.security import COOKIE, FAIL_LIMIT, Throttle

PASSWORD = "correct-horse-battery"


@pytest.fixture(scope="module")
def guarded(model_store: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Web]:
    """`camapp run --web --web-password`, with the throttle it ships with."""
    folder = tmp_path_factory.mktemp("web-signin")
    with running(model_store, folder, "--web-password", PASSWORD, key=PASSWORD) as web:
        yield web


def code_of(web: Web, path: str, headers: dict[str, str] | None = None) -> tuple[int, dict[str, str]]:
    code, _, head = web.request("GET", path, None, headers)
    return code, head


def test_300_wrong_keys_in_a_row_get_429_after_the_first_ten(guarded: Web) -> None:
    attacker = Web(guarded.url, source="127.0.0.3")
    started = time.monotonic()
    answers = [code_of(attacker, f"/api/status?key=guess{n:04d}") for n in range(300)]
    took = time.monotonic() - started
    assert took < 50, f"300 requests took {took:.1f} s: the window would have moved on"
    codes = [code for code, _ in answers]
    assert codes == [401] * FAIL_LIMIT + [429] * (300 - FAIL_LIMIT), codes
    waits = [int(head["Retry-After"]) for code, head in answers if code == 429]
    assert all(0 < w <= 60 for w in waits) and waits == sorted(waits, reverse=True)
    # the right key from that address waits too (a 429 must not tell a right guess from a wrong one)
    assert code_of(attacker, f"/api/status?key={PASSWORD}")[0] == 429
    assert code_of(attacker, "/video.mjpg", {"X-Camapp-Key": PASSWORD})[0] == 429
    # ... and from another address the right key works, a wrong one is a plain 401
    other = Web(guarded.url, key=PASSWORD, source="127.0.0.4")
    assert other.status()["frames"] > 0
    assert code_of(other, "/api/status?key=wrong")[0] == 401


def test_the_key_in_the_address_becomes_a_cookie_and_leaves_the_address(guarded: Web) -> None:
    viewer = Web(guarded.url, source="127.0.0.5")
    code, head = code_of(viewer, f"/?key={PASSWORD}&lang=en")
    assert code == 303 and head["Location"] == "/?lang=en", head
    cookie = head["Set-Cookie"]
    name, _, rest = cookie.partition("=")
    value = rest.split(";", 1)[0]
    attrs = {a.strip().split("=")[0].lower(): a.strip() for a in cookie.split(";")[1:]}
    assert name == COOKIE and PASSWORD not in cookie and len(value) == 64
    assert "httponly" in attrs and attrs["samesite"].lower() == "samesite=strict", cookie
    assert attrs["path"] == "Path=/" and int(attrs["max-age"].split("=")[1]) >= 86400, cookie
    assert code_of(viewer, "/api/status")[0] == 401  # without it, nothing
    viewer.cookie = value
    # the status, the figures (SSE), the video (MJPEG), a control and a download, all by cookie
    assert viewer.status()["frames"] > 0
    figures = Figures(viewer)
    try:
        assert figures.next()["frames"] > 0
    finally:
        figures.close()
    video = Mjpeg(viewer)
    try:
        assert video.image().shape[:2] == (432, 768)
    finally:
        video.close()
    viewer.post("snapshot", {})  # an empty key header beside the cookie, as the page sends
    name = next(f["name"] for f in viewer.files() if f["kind"] == "image")
    code, body, head = viewer.request("GET", f"/files/{name}?download=1")
    assert code == 200 and body[:4] == b"\x89PNG" and "attachment" in head["Content-Disposition"]
    # a control still needs the header: a cross-site form post carries no such header
    code, _, _ = viewer.request("POST", "/api/pause", b'{"on": true}', {"Content-Type": "application/json"})
    assert code == 403 and viewer.status()["paused"] is False


def test_a_wrong_key_in_the_address_signs_in_nobody(guarded: Web) -> None:
    viewer = Web(guarded.url, source="127.0.0.6")
    code, head = code_of(viewer, "/?key=not-the-password")
    assert code == 303 and head["Location"] == "/#wrong-key" and "Set-Cookie" not in head
    viewer.cookie = "0" * 64  # nor does a made-up cookie
    assert code_of(viewer, "/api/status")[0] == 401
    code, _, head = viewer.request("POST", "/api/signin", b"{}", {"X-Camapp-Key": "nope"})
    assert code == 401 and "Set-Cookie" not in head
    code, _, head = viewer.request("POST", "/api/signin", b"{}", {"X-Camapp-Key": PASSWORD})
    assert code == 204 and head["Set-Cookie"].startswith(f"{COOKIE}=")  # the sign-in form's way
    code, _, _ = viewer.request(
        "POST", "/api/signin", b"{}", {"X-Camapp-Key": PASSWORD, "Sec-Fetch-Site": "same-site"}
    )
    assert code == 403


class Clock:
    """The throttle's clock, moved on by the test instead of waiting a minute."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_the_right_key_works_again_once_the_window_has_passed(model_store: Path, tmp_path: Path) -> None:
    from camapp.session import ModelSpec, Session, SourceSpec
    from camapp.web.runner import WebServer
    from camapp.web.view import SessionView

    session = Session()
    view = SessionView(session, tmp_path)
    clock = Clock()
    server = WebServer(view, "127.0.0.1", 0, secret=PASSWORD, throttle=Throttle(10, 60.0, clock))
    try:
        session.open(SourceSpec(str(need(PERSON_CLIP)), loop=True), ModelSpec()).result(timeout=120)
        server.start()
        web = Web(server.url, key=PASSWORD, source="127.0.0.7")
        codes = []
        for n in range(15):
            codes.append(code_of(web, f"/api/status?key=guess{n}")[0])
            clock.now += 1.0  # one guess a second: 15 in the window
        assert codes == [401] * 10 + [429] * 5
        code, head = code_of(web, f"/api/status?key={PASSWORD}")
        assert code == 429 and head["Retry-After"] == "45"  # the first guess (t=0) leaves at t=60
        clock.now = 59.9
        assert code_of(web, f"/api/status?key={PASSWORD}")[0] == 429
        clock.now = 60.0
        assert web.status()["state"]  # the right key, from the same address
        assert code_of(web, "/api/status?key=guess-again")[0] == 401  # 10 in the window again
        assert code_of(web, f"/api/status?key={PASSWORD}")[0] == 429
        clock.now = 200.0
        assert web.status()["state"]
    finally:
        server.stop()
        view.close()
        session.close(timeout=30)
