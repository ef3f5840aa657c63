"""A real browser on the page: Debian's Chromium, headless, driven by Selenium through chromedriver.

It sees the video change, moves the input-size slider and reads the new size in the figures,
records from the page and finds the new file in the list. Set CAMAPP_SCREENSHOT_DIR to keep the
page's screenshot (assets/web.png is one of these).
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import cv2
import numpy as np
import pytest
from web.page import served_page, wait_for


@pytest.fixture(scope="module")
def page(model_store: Path, tmp_path_factory: pytest.TempPathFactory):
    folder = tmp_path_factory.mktemp("web-browser")
    with served_page(model_store, folder, tmp_path_factory.mktemp("chromium-profile")) as (driver, web):
        yield driver, web, folder


def shot(element) -> np.ndarray:
    img = cv2.imdecode(np.frombuffer(element.screenshot_as_png, np.uint8), cv2.IMREAD_COLOR)
    assert img is not None
    return img.astype(np.int16)


def test_the_page_shows_live_video_and_figures(page) -> None:
    from selenium.webdriver.common.by import By

    driver, web, _ = page
    wait_for(lambda: "fps" in driver.find_element(By.ID, "f-inference").text, what="figures")
    video = driver.find_element(By.ID, "video")
    wait_for(lambda: driver.execute_script("return arguments[0].naturalWidth", video) == 768, what="video")
    first = shot(video)
    assert first.shape[1] > 300
    # two screenshots a moment apart differ (retried: a loaded machine may stall a second)
    wait_for(lambda: float(np.abs(shot(video) - first).mean()) > 1.0, 15, "the video to change")


def test_the_slider_changes_the_input_size_shown_in_the_figures(page) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    driver, web, _ = page
    sizes = sorted(r["size"] for r in web.status()["ladder"])
    slider = driver.find_element(By.ID, "size-slider")
    wait_for(lambda: slider.get_attribute("max") == str(len(sizes) - 1), what="the ladder")
    slider.send_keys(Keys.HOME)  # the smallest rung
    wait_for(lambda: driver.find_element(By.ID, "f-size").text == f"{sizes[0]} px", what="the new size")
    assert web.status()["input_size"] == sizes[0]
    slider.send_keys(Keys.END)
    wait_for(lambda: driver.find_element(By.ID, "f-size").text == f"{sizes[-1]} px", what="the largest")
    rungs = driver.find_element(By.ID, "rungs").text
    assert str(sizes[0]) in rungs and "ms" in rungs  # each rung with its measured time


def test_record_and_stop_from_the_page_lists_the_new_file(page) -> None:
    from selenium.webdriver.common.by import By

    driver, web, folder = page

    def rows() -> list[str]:
        return [
            r.get_attribute("data-name") for r in driver.find_elements(By.CSS_SELECTOR, "#files tbody tr")
        ]

    before = set(rows())
    record = driver.find_element(By.ID, "record")
    record.click()
    wait_for(lambda: record.text == "Stop recording", what="recording to start")
    wait_for(lambda: web.status()["recording"]["frames"] >= 15, what="frames recorded")
    record.click()
    wait_for(lambda: record.text == "Record", what="recording to stop")
    new = wait_for(lambda: set(rows()) - before, what="the new file in the list")
    (name,) = new
    assert name.startswith("camapp-") and name.endswith(".mp4")
    assert (folder / name).stat().st_size > 10_000
    keep = os.environ.get("CAMAPP_SCREENSHOT_DIR")
    driver.find_element(By.CSS_SELECTOR, f'#files tr[data-name="{name}"] button').click()  # in-page playback
    player = driver.find_element(By.ID, "player")
    wait_for(lambda: driver.execute_script("return arguments[0].readyState", player) >= 2, what="playback")
    assert driver.execute_script("return arguments[0].duration", player) > 0.5
    if keep:
        driver.execute_script("window.scrollTo(0, 0)")
        time.sleep(0.5)
        Path(keep).mkdir(parents=True, exist_ok=True)
        driver.save_screenshot(str(Path(keep) / "web.png"))
