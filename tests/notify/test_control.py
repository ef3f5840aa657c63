"""`NotifyControl`: settings -> a running notifier, live, on a real (unopened) Session and a real
local JSON webhook receiver; the settings' checks at their boundaries."""

from __future__ import annotations

import time

import pytest
from notify.receivers import Hanging, closed_port

from camapp.errors import CamappError, FieldError
from camapp.notify.control import NotifyControl, NotifySettings, describe, words
from camapp.notify.rules import COOLDOWN, MAX_COOLDOWN
from camapp.session import Session

SECRET = "s3cret-token"


@pytest.fixture
def control():
    s = Session()
    c = NotifyControl(s)
    yield c
    c.close(1.0)
    s.close()


def test_words_split_a_text_box_or_clean_a_list():
    assert words("json://a/b\n ntfy://t, json://a/b") == ("json://a/b", "ntfy://t")
    assert words(["person", " car ", "", "person"]) == ("person", "car")
    assert words("") == ()


def test_settings_are_checked_as_the_command_line_does():
    assert NotifySettings.make(True, "json://h/p", cooldown=0).cooldown == 0.0  # the bounds are in
    assert NotifySettings.make(True, "json://h/p", cooldown=MAX_COOLDOWN).cooldown == MAX_COOLDOWN
    with pytest.raises(FieldError, match=r"--notify-cooldown: 86400.5 is out of range"):
        NotifySettings.make(True, "json://h/p", cooldown=MAX_COOLDOWN + 0.5)
    with pytest.raises(FieldError, match="give one notification URL"):
        NotifySettings.make(True, "")
    off = NotifySettings.make(False, "json://h/p")  # off keeps what was chosen
    assert (off.on, off.urls, off.cooldown) == (False, ("json://h/p",), COOLDOWN)
    with pytest.raises(CamappError, match=r"--notify nope://…: not a notification URL"):
        NotifySettings.make(True, "nope://x").check()
    with pytest.raises(CamappError, match="--notify-label unicorn: the model has no such class"):
        NotifySettings.make(True, "json://h/p", labels="unicorn").check(["person", "car"])
    NotifySettings.make(True, "json://h/p", labels="unicorn").check(None)  # no model yet: not known


def test_apply_test_change_and_stop_live_with_secrets_redacted(control, receiver):
    url = f"json://camapp:{SECRET}@127.0.0.1:{receiver.port}/hook"
    assert control.status()["text"] == "notifications off" and control.options() == []
    on = NotifySettings.make(True, [url], labels="person", cooldown=5)
    assert control.apply(on).result(20) == on
    st = control.status()
    assert (st["on"], st["targets"], st["labels"], st["cooldown"]) == (True, 1, ["person"], 5.0)
    assert st["urls"] == [f"json://camapp:****@127.0.0.1:{receiver.port}/hook"]
    assert control.options() == ["--notify", st["urls"][0], "--notify-label", "person", "--notify-cooldown", "5"]
    assert control.test().result(20) == "test: sent to 1 of 1"
    (body,) = receiver.wait(1)
    assert body["title"] == "camapp test"

    # a refused change leaves what runs alone
    with pytest.raises(CamappError, match="Apprise understands"):
        control.apply(NotifySettings.make(True, ["nope://x"])).result(20)
    assert control.status()["on"] and control.settings == on

    dead = f"json://127.0.0.1:{closed_port()}/hook"
    line = control.test(NotifySettings.make(False, [url, dead])).result(30)
    assert line.startswith("test: sent to 1 of 2; json://127.0.0.1:") and SECRET not in line

    control.apply(NotifySettings.make(False, [url])).result(20)
    st = control.status()
    assert not st["on"] and st["targets"] == 1 and describe(st) == "notifications off"
    assert SECRET not in repr(st) + repr(control.options())
    final = control.close(1.0)
    assert final is not None and final["channels"][0]["url"].startswith("json://camapp:****@")


def test_close_during_a_test_to_hanging_services_waits_for_one_at_most():
    """"Send test" to services that hang, then the app closes: the URLs not yet tried are skipped
    (each would hold the exit for Apprise's socket timeouts), the one being tried finishes."""
    hanging = Hanging()
    s = Session()
    c = NotifyControl(s)
    try:
        urls = [f"json://127.0.0.1:{hanging.port}/hook{i}" for i in range(3)]
        test = c.test(NotifySettings.make(False, urls))
        deadline = time.monotonic() + 10
        while not hanging.conns and time.monotonic() < deadline:  # the first URL is being tried
            time.sleep(0.02)
        c.close(1.0)
        assert len(hanging.conns) == 1  # the other two were never contacted
        line = test.result(0)
        assert line.startswith("test: sent to 0 of 3;") and line.count("not sent: closing") == 2, line
    finally:
        c.close(1.0)
        s.close()
        hanging.close()
