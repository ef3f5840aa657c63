"""The page's Settings controls over HTTP, on `camapp run --web` with the real model: notifications
to a local JSON webhook receiver and MQTT to a real Mosquitto (tests/notify, tests/mqtt). Valid
bodies change the running process; invalid ones are one line (400) and change nothing; secrets
(a URL's password, the broker's password) never come back in the status, the page or the options."""

from __future__ import annotations

import json

import pytest
from mqtt.optional import broker_fixture  # noqa: F401  (the `broker` fixture)
from notify.receivers import Hanging, Receiver, receiver_fixture  # noqa: F401  (the `receiver` fixture)
from web.conftest import running

from camapp.mqtt.control import MqttSettings
from camapp.notify.control import NotifySettings
from camapp.web.checks import BadRequest
from camapp.web.sinks import parse_mqtt, parse_notify

SECRET = "hunter2-token"


def secret_url(receiver: Receiver) -> str:
    return f"json://camapp:{SECRET}@127.0.0.1:{receiver.port}/hook"


def test_notify_given_on_the_command_line_is_shown_redacted_and_changed_from_the_page(
    model_store, tmp_path, receiver
):
    with running(model_store, tmp_path, "--notify", secret_url(receiver), "--notify-cooldown", "5") as web:
        s = web.status()
        n = s["notify"]
        assert (n["on"], n["targets"], n["cooldown"]) == (True, 1, 5.0)
        assert n["urls"][0].startswith("json://camapp:") and f"127.0.0.1:{receiver.port}/hook" in n["urls"][0]
        assert "--notify 'json://camapp:****@127.0.0.1:" in s["command"] and "--notify-cooldown 5" in s["command"]
        _, page, _ = web.request("GET", "/")
        _, script, _ = web.request("GET", "/settings.js")
        assert b'id="notify-form"' in page and b"notify-test" in script
        assert SECRET not in json.dumps(s) + page.decode()

        # refusals: one line each, nothing changed
        for body, reason in [
            ({"on": True, "urls": ["nope://x"]}, "Apprise understands"),
            ({"on": True, "cooldown": -1}, "'cooldown': -1 is out of range"),
            ({"on": True, "cooldown": "soon"}, "'cooldown' must be a number"),
            ({"on": "yes"}, "'on' must be true or false"),
            ({"on": True, "urls": "json://x"}, "'urls' must be a list"),
            ({"on": True, "token": 1}, "unknown field 'token'"),
        ]:
            text = web.post("notify", body, expect=400)
            assert text.count("\n") == 1 and reason in text, (body, text)
        assert web.status()["notify"] == {**n, "sent": web.status()["notify"]["sent"]}

        s = web.post("notify-test", {"urls": None})
        assert s["notify"]["test"] == "test: sent to 1 of 1"
        assert receiver.wait(1)[0]["title"] == "camapp test"

        s = web.post("notify", {"on": False, "urls": None, "labels": [], "zones": [], "cooldown": 5})
        assert not s["notify"]["on"] and "--notify" not in s["command"]
        s = web.post("notify", {"on": True, "urls": None, "labels": ["person"], "zones": [], "cooldown": 0})
        assert s["notify"]["on"] and s["notify"]["targets"] == 1  # the URL kept, never re-sent
        assert "--notify-label person --notify-cooldown 0" in s["command"]
        assert SECRET not in json.dumps(s)
        # the person clip (looped) brings a person: a message with the frame
        bodies = receiver.wait(2, timeout=60)
        assert len(bodies) >= 2 and bodies[1]["title"].startswith("person")
        web.wait_status(lambda st: st["notify"]["sent"] >= 1)


def test_mqtt_of_the_command_line_shown_changed_and_stopped_from_the_page_never_echoing_the_password(
    model_store, tmp_path, broker, monkeypatch
):
    from mqtt.broker import PASSWORD, USER, Subscriber

    sub = Subscriber(broker)
    url = f"mqtt://127.0.0.1:{broker.port}"
    monkeypatch.setenv("CAMAPP_MQTT_PASSWORD", PASSWORD)  # the run's password, as a user gives it
    try:
        with running(model_store, tmp_path / "rec", "--mqtt", f"mqtt://{USER}@127.0.0.1:{broker.port}", "--name", "cli") as web:
            # what the command line started: shown, and changed below
            s = web.wait_status(lambda st: st["mqtt"]["state"] == "connected", timeout=20)
            m = s["mqtt"]
            assert (m["url"], m["name"], m["password_set"]) == (f"mqtt://{USER}@127.0.0.1:{broker.port}", "cli", True)
            assert s["command"] == f"--mqtt mqtt://{USER}@127.0.0.1:{broker.port} --name cli"
            for body, reason in [
                ({"on": True, "url": "http://x"}, "expected mqtt://[user@]host[:port]"),
                ({"on": True, "url": ""}, "'url': give the broker"),
                ({"on": True, "url": url, "prefix": "a/+"}, "a topic with no '+'"),
                ({"on": True, "url": url, "name": "two words"}, "a camera name has no"),
                ({"on": True, "url": url, "ca": "/no/such.pem"}, "go with an mqtts:// URL"),
                ({"on": True, "url": f"mqtt://{USER}@127.0.0.1:1", "user": "other"}, "and the user field 'other'"),
            ]:
                text = web.post("mqtt", body, expect=400)
                assert text.count("\n") == 1 and reason in text and PASSWORD not in text, (body, text)
            assert web.status()["mqtt"]["name"] == "cli"  # refused: what ran goes on

            body = {"on": True, "url": url, "user": USER, "password": PASSWORD, "name": "web", "discovery": True}
            monkeypatch.delenv("CAMAPP_MQTT_PASSWORD")  # (the run keeps its own environment)
            s = web.post("mqtt", body)
            s = web.wait_status(lambda st: st["mqtt"]["state"] == "connected", timeout=20)
            m = s["mqtt"]
            assert m["broker"] == f"mqtt://{USER}@127.0.0.1:{broker.port}" and m["password_set"]
            assert s["command"] == f"--mqtt mqtt://{USER}@127.0.0.1:{broker.port} --name web"
            assert sub.wait_for(lambda ms: any(t == "camapp/web/availability" and p == b"online" for _, t, p, _ in ms), 10)
            assert sub.wait_for(lambda ms: any(t.startswith("homeassistant/") for _, t, _, _ in ms), 10)
            _, page, _ = web.request("GET", "/")
            assert PASSWORD not in json.dumps(s) + page.decode()

            # another name, the password kept (null): reconnects as the new camera
            s = web.post("mqtt", {**body, "password": None, "name": "web2"})
            web.wait_status(lambda st: st["mqtt"]["state"] == "connected" and st["mqtt"]["name"] == "web2", 20)
            assert sub.on("camapp/web/availability")[-1] == b"offline"
            assert sub.wait_for(lambda ms: any(t == "camapp/web2/availability" and p == b"online" for _, t, p, _ in ms), 10)

            # a wrong password: refused, with the reason, retried
            web.post("mqtt", {**body, "password": "wrong-one", "name": "web3"})
            s = web.wait_status(lambda st: st["mqtt"]["state"] == "refused", timeout=20)
            assert "retrying" in s["mqtt"]["text"] and "wrong-one" not in json.dumps(s)

            s = web.post("mqtt", {"on": False})
            assert s["mqtt"]["state"] == "off" and s["command"] == ""
    finally:
        sub.close()


def test_a_test_message_longer_than_the_wait_is_one_line_and_its_result_follows(model_store, tmp_path):
    """Nine services that hang take Apprise's socket timeouts each, past the 30 s a command may
    take: the page gets one line (no 500, no traceback in the log), and the result in the status."""
    hanging = Hanging()
    urls = [f"json://127.0.0.1:{hanging.port}/hook{i}" for i in range(9)]
    try:
        with running(model_store, tmp_path) as web:
            c = web.conn(timeout=90)
            try:
                body = json.dumps({"urls": urls}).encode()
                c.request("POST", "/api/notify-test", body, web.sent({"Content-Type": "application/json", "X-Camapp-Key": ""}))
                r = c.getresponse()
                code, text = r.status, r.read().decode()
            finally:
                c.close()
            assert code == 504 and text.count("\n") == 1 and "still under way" in text, (code, text)
            st = web.wait_status(lambda st: st["notify"]["test"].startswith("test: sent to 0 of 9"), timeout=60)
            assert "json://127.0.0.1:" in st["notify"]["test"]
    finally:
        hanging.close()


def test_bodies_are_read_into_the_command_lines_settings():
    n = parse_notify({"on": True, "urls": ["json://h/p", "json://h/p"], "labels": ["person"], "cooldown": 0},
                     NotifySettings())
    assert n == NotifySettings(True, ("json://h/p",), ("person",), (), 0.0)
    assert parse_notify({"on": True}, n).urls == n.urls  # no urls: kept
    with pytest.raises(BadRequest, match="'cooldown': 86401 is out of range"):
        parse_notify({"on": True, "cooldown": 86401}, n)
    m = parse_mqtt({"on": True, "url": "mqtt://h", "user": "u", "password": SECRET}, MqttSettings(labels=("car",)))
    assert (m.full_url(), m.password, m.labels) == ("mqtt://u@h", SECRET, ("car",))
    assert parse_mqtt({"on": True, "password": None}, m).password == SECRET  # write-only: null keeps it
    assert SECRET not in repr(m) + " ".join(m.options())
    with pytest.raises(BadRequest, match="'url'"):
        parse_mqtt({"on": True}, MqttSettings())
