"""The Events panel in a real browser (Debian's Chromium): `camapp run --web --track --record-on
person --history` on the person clip; the panel lists the events as they end, each with its
thumbnail, and clicking one plays its event clip from the event's offset (within 0.5 s)."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest
from web.page import served_page, wait_for

FLAGS = ("--no-realtime", "--track", "--record-on", "person", "--history")


@pytest.fixture(scope="module")
def page(model_store: Path, tmp_path_factory: pytest.TempPathFactory):
    folder = tmp_path_factory.mktemp("web-events-browser")
    profile = tmp_path_factory.mktemp("chromium-profile")
    with served_page(model_store, folder, profile, "--record-dir", str(folder), *FLAGS) as (driver, web):
        yield driver, web, folder


def ended_with_clip(web) -> list[dict]:
    code, body, _ = web.request("GET", web.with_key("/api/events?label=person"))
    assert code == 200, body
    return [e for e in json.loads(body)["events"] if e["ended"] is not None and e["clip"]]


def test_the_panel_lists_events_with_thumbnails_and_plays_a_clip_from_its_offset(page) -> None:
    from selenium.webdriver.common.by import By

    driver, web, folder = page
    events = wait_for(lambda: ended_with_clip(web), 240, "a person event that ended, with its clip")
    # the one furthest into its clip (a page that ignored the offset would start at 0)
    e = max(events, key=lambda x: x["clip_offset"])
    assert e["clip_offset"] > 1.0, events
    assert (folder / "events.db").is_file()
    # the panel shows it ended, without a reload (the page follows the status stream)

    # the panel re-renders as the status stream moves on: every read finds its element afresh
    from selenium.common.exceptions import StaleElementReferenceException

    here = f'#event-list li[data-id="{e["id"]}"]'

    def shown() -> str | None:
        try:
            found = driver.find_elements(By.CSS_SELECTOR, here)
            return found[0].text if found and found[0].find_elements(By.TAG_NAME, "img") else None
        except StaleElementReferenceException:
            return None

    text = wait_for(shown, 30, "the ended event with its thumbnail")
    assert "person" in text and f"{e['duration']:.1f} s" in text
    wait_for(
        lambda: driver.execute_script(
            "const i = document.querySelector(arguments[0] + ' img'); return !!i && i.naturalWidth > 10", here
        ),
        15,
        "the thumbnail",
    )
    # every listed event that has ended has a thumbnail that loaded
    wait_for(
        lambda: driver.execute_script(
            "return [...document.querySelectorAll('#event-list li img')]"
            ".every(i => i.complete && i.naturalWidth > 10)"
        ),
        15,
        "images",
    )
    assert driver.find_element(By.ID, "ev-label").get_attribute("textContent").count("person") == 1

    def click() -> bool:
        try:
            driver.find_element(By.CSS_SELECTOR, here).click()
            return True
        except StaleElementReferenceException:
            return False

    wait_for(click, 15, "a click on the event")
    player = driver.find_element(By.ID, "event-player")
    started = wait_for(
        lambda: driver.execute_script("return arguments[0].dataset.startedAt", player),
        30,
        "playback to start",
    )
    assert abs(float(started) - e["clip_offset"]) <= 0.5, (started, e["clip_offset"])
    assert driver.execute_script("return arguments[0].dataset.event", player) == str(e["id"])
    src = driver.execute_script("return arguments[0].currentSrc", player)
    assert src.split("#", 1)[0].endswith(f"/api/events/{e['id']}/clip")
    # and it plays on from there
    wait_for(
        lambda: driver.execute_script("return arguments[0].currentTime", player) > float(started) + 0.3,
        15,
        "the clip to play on",
    )
    assert driver.execute_script("return arguments[0].error", player) is None
    keep = os.environ.get("CAMAPP_SCREENSHOT_DIR")
    if keep:
        driver.execute_script("arguments[0].scrollIntoView()", driver.find_element(By.ID, "events-panel"))
        time.sleep(0.5)
        Path(keep).mkdir(parents=True, exist_ok=True)
        driver.save_screenshot(str(Path(keep) / "web-events.png"))
