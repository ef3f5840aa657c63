"""The browser view under `camapp run --motion`: a real Chromium shows motion on/off and the
frames detected and skipped, from the session's status."""

from __future__ import annotations

import re
from pathlib import Path

from browser import chromium, need_browser
from web.client import Web
from web.conftest import start_run, stop_run
from web.page import wait_for


def test_the_page_shows_motion_and_the_frames_skipped(model_store: Path, tmp_path: Path) -> None:
    from selenium.webdriver.common.by import By

    need_browser()
    folder = tmp_path / "web"
    folder.mkdir()
    proc, url, _ = start_run(model_store, folder, "--motion", "--track")
    driver = None
    try:
        driver = chromium(tmp_path / "profile", "--window-size=1280,1000")
        driver.get(url + "/")
        row = driver.find_element(By.ID, "r-motion")
        wait_for(row.is_displayed, 60, "the motion row")
        cell = driver.find_element(By.ID, "f-motion")
        pattern = re.compile(r"^(on|off) · (\d+) detected, (\d+) skipped$")
        wait_for(lambda: (m := pattern.match(cell.text)) and int(m.group(3)) > 0, 90, "frames skipped")
        web = Web(url)
        status = web.status()["motion"]
        assert status["mode"] == "on" and status["detected"] > 0 and status["skipped"] > 0
        box = driver.find_element(By.ID, "motion")
        assert box.is_selected()
        box.click()  # off from the page
        wait_for(lambda: web.status()["motion"] is None and not row.is_displayed(), 30, "motion off")
        box.click()  # and on again, with the settings `camapp run` was given
        wait_for(lambda: web.status()["motion"] is not None and row.is_displayed(), 30, "motion on")
        web.post("motion", {"on": "yes"}, expect=400)  # not a boolean
    finally:
        if driver is not None:
            driver.quit()
        out = stop_run(proc)
    assert proc.returncode == 0 and "Traceback" not in out, out
