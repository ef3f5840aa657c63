"""The app's Notifications and MQTT dialog on the real model, the person clip, a local JSON webhook
receiver and a real Mosquitto (tests/notify, tests/mqtt): what a person does in the dialog, and
what reaches the receiver and the broker."""

from __future__ import annotations

import stat

from conftest import PERSON_CLIP, need
from gui.windows import WAIT, open_window
from mqtt.optional import broker_fixture  # noqa: F401  (the `broker` fixture)
from notify.receivers import receiver_fixture  # noqa: F401  (the `receiver` fixture)

from camapp.gui.services import ServiceChoices, load_choices, save_choices
from camapp.gui.settings import Settings


def test_notifications_set_in_the_dialog_post_on_a_person_and_the_test_button_says_so(
    qtbot, model_store, tmp_path, receiver
):
    w = open_window(qtbot, str(need(PERSON_CLIP)), tmp_path)
    try:
        w.services.open()
        d = w.services.dialog
        assert d is not None and d.isVisible()
        d.notify_urls.setPlainText(receiver.url)
        d.notify_test.click()  # before it is on: the test goes to the URL typed
        # said in the dialog's state line (the status line says it too, until the next step of the
        # source's start overwrites it)
        qtbot.waitUntil(lambda: "test: sent to 1 of 1" in d.notify_state.text(), timeout=20_000)
        assert receiver.wait(1)[0]["title"] == "camapp test"
        d.notify_on.setChecked(True)
        d.notify_labels.setText("person")
        d.notify_cooldown.setValue(0)
        d.notify_apply.click()
        qtbot.waitUntil(lambda: w.services.notify.status()["on"], timeout=20_000)
        assert "Notify: 1" in w.services.button.text()
        # the person clip's first person walks in after a few seconds of video
        qtbot.waitUntil(lambda: len(receiver.bodies()) >= 2, timeout=WAIT)
        person = receiver.bodies()[1]
        assert person["title"].startswith("person ") and person["attachments"]
        qtbot.waitUntil(lambda: "1 sent" in d.notify_state.text(), timeout=5_000)
    finally:
        w.close()
    kept, _ = load_choices(Settings())
    assert (kept.notify_on, kept.notify_urls, kept.notify_labels, kept.notify_cooldown) == (
        True, receiver.url, "person", 0.0,
    )


def test_a_bad_notification_url_is_one_line_and_changes_nothing(qtbot, model_store, tmp_path):
    w = open_window(qtbot, None, tmp_path)
    try:
        w.services.open()
        d = w.services.dialog
        d.notify_on.setChecked(True)
        d.notify_apply.click()  # no URL
        assert "give one notification URL" in d.notify_error.text()
        d.notify_urls.setPlainText("nope://x")
        d.notify_apply.click()
        qtbot.waitUntil(lambda: "Apprise understands" in d.notify_error.text(), timeout=20_000)
        assert w.state_label.text().startswith("Notifications not changed: ")
        assert not w.services.notify.status()["on"]
    finally:
        w.close()
    assert not load_choices(Settings())[0].notify_on  # a refused value is not remembered


def test_mqtt_set_in_the_dialog_goes_online_with_discovery_and_is_restored_at_start(
    qtbot, model_store, tmp_path, broker
):
    from mqtt.broker import PASSWORD, USER, Subscriber

    sub = Subscriber(broker)
    try:
        w = open_window(qtbot, str(need(PERSON_CLIP)), tmp_path)
        try:
            w.services.open()
            d = w.services.dialog
            d.tabs.setCurrentIndex(1)
            d.mqtt_on.setChecked(True)
            d.mqtt_url.setText(f"mqtt://127.0.0.1:{broker.port}")
            d.mqtt_user.setText(USER)
            d.mqtt_password.setText(PASSWORD)
            d.mqtt_remember.setChecked(True)
            d.mqtt_name.setText("desk")
            d.mqtt_apply.click()
            assert d.mqtt_password.text() == ""  # never shown back
            qtbot.waitUntil(lambda: b"online" in sub.on("camapp/desk/availability"), timeout=20_000)
            assert sub.wait_for(
                lambda ms: any(t.startswith("homeassistant/") and t.endswith("/config") for _, t, _, _ in ms), 10
            )
            qtbot.waitUntil(lambda: d.mqtt_state.text().startswith("connected to mqtt://camera@"), timeout=5_000)
            assert "MQTT: connected" in w.services.button.text()
            assert PASSWORD not in d.mqtt_state.text() + w.services.button.toolTip()
        finally:
            w.close()
        assert b"offline" in sub.on("camapp/desk/availability")[-1:]  # said on the way out
        settings = Settings()
        kept, password = load_choices(settings)
        assert (kept.mqtt_on, kept.mqtt_user, kept.mqtt_name, password) == (True, USER, "desk", PASSWORD)
        assert stat.S_IMODE(settings.path.stat().st_mode) == 0o600  # a password in it: owner only

        # the next start connects by itself, and the dialog shows the password only as "set"
        online = len(sub.on("camapp/desk/availability"))
        w = open_window(qtbot, None, tmp_path)
        try:
            qtbot.waitUntil(lambda: len(sub.on("camapp/desk/availability")) > online, timeout=20_000)
            assert sub.on("camapp/desk/availability")[-1] == b"online"
            w.services.open()
            d = w.services.dialog
            assert d.mqtt_password.text() == "" and "set" in d.mqtt_password.placeholderText()
            assert d.mqtt_on.isChecked() and d.mqtt_name.text() == "desk"
        finally:
            w.close()
    finally:
        sub.close()


def test_a_wrong_password_shows_refused_and_the_app_goes_on(qtbot, model_store, tmp_path, broker):
    w = open_window(qtbot, str(need(PERSON_CLIP)), tmp_path)
    try:
        w.services.open()
        d = w.services.dialog
        d.mqtt_on.setChecked(True)
        d.mqtt_url.setText(f"mqtt://camera@127.0.0.1:{broker.port}")
        d.mqtt_password.setText("not-the-password")
        d.mqtt_apply.click()
        qtbot.waitUntil(lambda: d.mqtt_state.text().startswith("refused: "), timeout=20_000)
        assert "retrying" in d.mqtt_state.text() and "not-the-password" not in d.mqtt_state.text()
        assert "MQTT: refused" in w.services.button.text()
        shown = w.view.frames_shown
        qtbot.waitUntil(lambda: w.view.frames_shown > shown + 5, timeout=WAIT)  # the video goes on
    finally:
        w.close()
    kept, password = load_choices(Settings())
    assert password is None and kept.mqtt_authenticated  # "Remember" was not ticked

    # the next start does not connect without it: it says what is missing
    w = open_window(qtbot, None, tmp_path)
    try:
        assert w.services.mqtt.status()["state"] == "off"
        w.services.open()
        assert "password was not remembered" in w.services.dialog.mqtt_error.text()
        assert w.services.dialog.mqtt_on.isChecked()  # one password away from connecting again
    finally:
        w.close()


def test_choices_round_trip_through_the_settings_file(tmp_path):
    s = Settings(tmp_path / "camapp.ini")
    c = ServiceChoices(notify_on=True, notify_urls="json://a/b\nntfy://t", mqtt_on=True, mqtt_url="mqtt://h")
    save_choices(s, c, "pw")
    assert load_choices(Settings(tmp_path / "camapp.ini")) == (c, None)  # not remembered: not kept
    save_choices(s, ServiceChoices(mqtt_remember=True), "pw")
    text = (tmp_path / "camapp.ini").read_text()
    assert load_choices(Settings(tmp_path / "camapp.ini"))[1] == "pw" and "pw" in text
    save_choices(s, ServiceChoices(), "pw")
    assert "password" not in (tmp_path / "camapp.ini").read_text()
    assert load_choices(Settings(tmp_path / "camapp.ini"))[0] == ServiceChoices()


def test_a_notification_url_is_a_secret_too_the_settings_file_is_the_owners_only(tmp_path):
    """Apprise URLs carry tokens (tgram://BOT_TOKEN/CHAT, pover://USER@TOKEN): kept in the
    settings file, which others on the machine must not read, "Remember" or not."""
    path = tmp_path / "camapp.ini"
    s = Settings(path)
    save_choices(s, ServiceChoices(), None)
    path.chmod(0o644)  # as a file made under the usual umask
    save_choices(s, ServiceChoices(notify_on=True, notify_urls="tgram://123456789:AAbbCCdd/42"), None)
    assert "AAbbCCdd" in path.read_text()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
