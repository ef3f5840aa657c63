"""The Settings panel in a real browser (Debian's Chromium, headless, Selenium): fill the MQTT
form, apply, and see the state turn connected against a real Mosquitto; a wrong broker address, or
a notification URL Apprise cannot parse, is the server's one line under its form. Set CAMAPP_SCREENSHOT_DIR to keep the page's screenshot."""

from __future__ import annotations

import json
import os
from pathlib import Path

from mqtt.optional import broker_fixture  # noqa: F401  (the `broker` fixture)
from web.page import served_page, wait_for


def test_the_mqtt_form_connects_and_a_refusal_shows_under_it(model_store, tmp_path, broker):
    from mqtt.broker import PASSWORD, USER
    from selenium.webdriver.common.by import By

    with served_page(model_store, tmp_path / "rec", tmp_path / "profile") as (driver, web):
        find = driver.find_element
        wait_for(lambda: find(By.ID, "settings-panel").is_displayed(), what="the Settings panel")
        assert find(By.ID, "m-state").text == "MQTT off"

        def fill(url: str) -> None:
            for field, value in (("m-url", url), ("m-user", USER), ("m-password", PASSWORD), ("m-name", "page")):
                find(By.ID, field).clear()
                find(By.ID, field).send_keys(value)
            if not find(By.ID, "m-on").is_selected():
                find(By.ID, "m-on").click()
            find(By.CSS_SELECTOR, "#mqtt-form button[type=submit]").click()

        fill("mqtt//127.0.0.1")
        error = wait_for(lambda: find(By.ID, "m-error").text, what="the refusal")
        assert "expected mqtt://[user@]host[:port]" in error
        assert web.status()["mqtt"]["state"] == "off"

        fill(f"mqtt://127.0.0.1:{broker.port}")
        wait_for(lambda: find(By.ID, "m-state").text.startswith("connected to mqtt://camera@"), what="connected")
        assert find(By.ID, "m-error").text == ""
        assert find(By.ID, "m-password").get_attribute("value") == ""  # write-only
        assert "set" in find(By.ID, "m-password").get_attribute("placeholder")
        command = find(By.ID, "s-command").text
        assert f"--mqtt mqtt://camera@127.0.0.1:{broker.port} --name page" in command
        assert PASSWORD not in driver.page_source + json.dumps(web.status())

        # the notifications form: a URL Apprise cannot parse is the server's line under it
        find(By.ID, "n-urls").send_keys("nope://x")
        find(By.ID, "n-on").click()
        find(By.CSS_SELECTOR, "#notify-form button[type=submit]").click()
        error = wait_for(lambda: find(By.ID, "n-error").text, what="the notify refusal")
        assert "not a notification URL Apprise understands" in error
        assert find(By.ID, "n-state").text == "notifications off"
        shots = os.environ.get("CAMAPP_SCREENSHOT_DIR")
        if shots:
            driver.execute_script("document.getElementById('settings-panel').scrollIntoView()")
            Path(shots).mkdir(parents=True, exist_ok=True)
            driver.save_screenshot(str(Path(shots) / "web-settings.png"))
