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


# -- without event clips: the continuous recording ---------------------------------------------------
SEGMENT = 20  # seconds: the first person (from 6 s) is in a segment still recorded for 14 s of video


@pytest.fixture(scope="module")
def recorded(model_store: Path, tmp_path_factory: pytest.TempPathFactory):
    """`camapp run --web --no-realtime --track --record cam.mp4 --record-segment 20 --history`:
    no event clips, the history beside the segments; every frame recorded however slow the machine."""
    folder = tmp_path_factory.mktemp("web-events-recording")
    profile = tmp_path_factory.mktemp("chromium-profile-recording")
    flags = (
        "--no-realtime",
        "--track",
        "--record",
        str(folder / "cam.mp4"),
        "--record-segment",
        str(SEGMENT),
        "--history",
    )
    with served_page(model_store, folder, profile, *flags) as (driver, web):
        yield driver, web, folder


def person_events(web) -> list[dict]:
    code, body, _ = web.request("GET", web.with_key("/api/events?label=person"))
    assert code == 200, body
    return json.loads(body)["events"]


def panel_text(driver, event_id: int) -> str | None:
    from selenium.common.exceptions import StaleElementReferenceException
    from selenium.webdriver.common.by import By

    try:
        found = driver.find_elements(By.CSS_SELECTOR, f'#event-list li[data-id="{event_id}"]')
        return found[0].text if found else None
    except StaleElementReferenceException:
        return None


def test_without_a_clip_the_panel_plays_the_recording_from_the_event_once_its_segment_closes(
    recorded,
) -> None:
    from selenium.common.exceptions import StaleElementReferenceException
    from selenium.webdriver.common.by import By

    driver, web, folder = recorded
    # while its segment is being recorded (a fragmented MP4 browsers cannot seek), the event says so
    writing = wait_for(
        lambda: [e for e in person_events(web) if e["recording"] and e["play"] is None and e["note"]],
        240,
        "a person event in a segment still being recorded",
    )[0]
    assert writing["note"] == "recording in progress, available when the segment closes", writing
    assert writing["clip"] is None
    code, body, _ = web.request("GET", web.with_key(writing["recording"]))
    assert code == 409 and b"recording in progress" in body
    text = wait_for(
        lambda: (t := panel_text(driver, writing["id"])) and "recording in progress" in t and t,
        30,
        "the note",
    )
    assert "available when the segment closes" in text
    assert (folder / "events.db").is_file()  # beside the recording

    # once the segment is closed and finalized, the event plays it from the event's start
    e = wait_for(
        lambda: next(
            (
                x
                for x in person_events(web)
                if x["play"] and x["play"]["kind"] == "recording" and x["play"]["offset"] > 1
            ),
            None,
        ),
        240,
        "a person event whose segment closed",
    )
    assert e["play"]["url"] == f"/api/events/{e['id']}/recording" and e["clip"] is None
    offset = e["play"]["offset"]
    assert offset == e["recording_offset"] and 0 < offset < SEGMENT
    wait_for(lambda: (t := panel_text(driver, e["id"])) and "recording in progress" not in t, 30, "the panel")

    def click() -> bool:
        try:
            driver.find_element(By.CSS_SELECTOR, f'#event-list li[data-id="{e["id"]}"]').click()
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
    assert abs(float(started) - offset) <= 0.5, (started, offset)
    assert driver.execute_script("return arguments[0].dataset.kind", player) == "recording"
    src = driver.execute_script("return arguments[0].currentSrc", player)
    assert src.split("#", 1)[0].endswith(f"/api/events/{e['id']}/recording")
    wait_for(
        lambda: driver.execute_script("return arguments[0].currentTime", player) > float(started) + 0.3,
        15,
        "the recording to play on",
    )
    assert driver.execute_script("return arguments[0].error", player) is None
    assert "into the recording" in driver.find_element(By.ID, "ev-playing").text
    keep = os.environ.get("CAMAPP_SCREENSHOT_DIR")
    if keep:
        driver.execute_script("arguments[0].scrollIntoView()", driver.find_element(By.ID, "events-panel"))
        time.sleep(0.5)
        Path(keep).mkdir(parents=True, exist_ok=True)
        driver.save_screenshot(str(Path(keep) / "web-events-recording.png"))
