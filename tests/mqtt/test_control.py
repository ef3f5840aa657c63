"""`MqttControl`: settings -> a running bridge, live, on a real (unopened) Session and a real
Mosquitto; the settings' checks, and the state a front-end shows (connected, refused, retrying)."""

from __future__ import annotations

import time

import pytest
from mqtt.broker import PASSWORD, USER, Subscriber

from camapp.errors import CamappError
from camapp.mqtt.control import MqttControl, MqttSettings, describe
from camapp.session import Session


@pytest.fixture
def control():
    s = Session()
    c = MqttControl(s, say=lambda _: None)
    yield c
    c.close(1.0)
    s.close()


def test_the_user_field_joins_the_url_and_the_checks_are_the_command_lines():
    assert MqttSettings(url="mqtt://h:1884", user="cam").full_url() == "mqtt://cam@h:1884"
    assert MqttSettings(url="mqtt://cam@h", user="cam").full_url() == "mqtt://cam@h"
    with pytest.raises(CamappError, match="names user 'a' and the user field 'b'"):
        MqttSettings(url="mqtt://a@h", user="b").full_url()
    with pytest.raises(CamappError, match="a camera name has no"):
        MqttSettings(url="mqtt://h", name="a/b").check()
    with pytest.raises(CamappError, match="a topic with no"):
        MqttSettings(url="mqtt://h", prefix="/x").check()
    with pytest.raises(CamappError, match="a password needs a user name"):
        MqttSettings(url="mqtt://h", password="pw").check()
    b = MqttSettings(url="mqtt://h", user="u", password="pw-9").check(environ={})
    assert (b.username, b.password, b.port) == ("u", "pw-9", 1883)
    s = MqttSettings(on=True, url="mqtt://h", user="u", password="pw-9", name="door", discovery=False)
    assert s.options() == ["--mqtt", "mqtt://u@h", "--name", "door", "--mqtt-no-discovery"]
    assert "pw-9" not in repr(s)


def test_describe_says_each_state_in_one_line():
    base = {"broker": "mqtt://u@h:1883", "problem": "", "retry_in": None}
    assert describe({**base, "state": "off"}) == "MQTT off"
    assert describe({**base, "state": "connected"}) == "connected to mqtt://u@h:1883"
    assert describe({**base, "state": "retrying", "problem": "cannot connect", "retry_in": 3.6}) == (
        "retrying in 4 s: cannot connect"
    )
    refused = {**base, "state": "refused", "problem": "the broker refused the connection: Not authorized"}
    assert describe({**refused, "retry_in": 0.0}) == "refused: Not authorized (retrying in 0 s)"


def test_apply_connects_moves_and_disconnects_live_and_a_wrong_password_is_refused(control, mosquitto):
    sub = Subscriber(mosquitto)
    try:
        url = f"mqtt://127.0.0.1:{mosquitto.port}"
        on = MqttSettings(on=True, url=url, user=USER, password=PASSWORD, name="ctl")
        control.apply(on).result(20)
        assert sub.wait_for(lambda ms: any(t == "camapp/ctl/availability" and p == b"online" for _, t, p, _ in ms), 10)
        st = control.status()
        assert st["state"] == "connected" and st["password_set"] and PASSWORD not in repr(st)

        # a bad change: refused before anything stops
        with pytest.raises(CamappError, match="expected mqtt://"):
            control.apply(MqttSettings(on=True, url="http://h")).result(20)
        assert control.status()["state"] == "connected"

        wrong = MqttSettings(on=True, url=url, user=USER, password="not-it", name="ctl2")
        control.apply(wrong).result(20)
        assert sub.on("camapp/ctl/availability")[-1] == b"offline"  # the old one said goodbye
        deadline = time.monotonic() + 15
        while control.status()["state"] != "refused" and time.monotonic() < deadline:
            time.sleep(0.1)
        st = control.status()
        assert st["state"] == "refused" and "Not authorized" in st["problem"], st
        assert st["retry_in"] is not None and 0 <= st["retry_in"] <= 30
        assert "not-it" not in repr(st)

        control.apply(MqttSettings(on=False)).result(20)
        assert control.status()["state"] == "off"
        final = control.close(1.0)
        assert final is not None and final["broker"].endswith(f":{mosquitto.port}")
    finally:
        sub.close()
