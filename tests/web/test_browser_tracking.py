"""The Tracking box in a real browser (Debian's Chromium, headless, Selenium): tick Track objects,
drag a counting line across the video with the mouse, click a zone's corners, and see the session
hold them at the normalized coordinates and the page show their counts. Set CAMAPP_SCREENSHOT_DIR
to keep the page's screenshot (assets/web-tracking.png is one of these)."""

from __future__ import annotations

import os
import re
import time
from pathlib import Path

import cv2
import numpy as np
import pytest
from web.page import served_page, wait_for

LINE = [(0.05, 0.65), (0.95, 0.65)]  # across the people's path (tests/session/test_tracking.py)
ZONE = [(0.42, 0.12), (0.7, 0.12), (0.7, 0.88), (0.42, 0.88)]
NEAR = 0.02


@pytest.fixture(scope="module")
def page(model_store: Path, tmp_path_factory: pytest.TempPathFactory):
    folder = tmp_path_factory.mktemp("web-browser-tracking")
    with served_page(model_store, folder, tmp_path_factory.mktemp("chromium-profile")) as (driver, web):
        yield driver, web


def near(points, expected) -> bool:
    return (
        points is not None
        and len(points) == len(expected)
        and all(
            abs(a - b) <= NEAR
            for p, q in zip(points, expected, strict=True)
            for a, b in zip(p, q, strict=True)
        )
    )


def cell(driver, region: str) -> str:
    """The counts row of `region` as the page shows it now (read in one go: the rows are redrawn
    with every figures update)."""
    return driver.execute_script(
        "const td = document.querySelector(`#track-counts tr[data-region='${arguments[0]}'] td`);"
        "return td ? td.textContent : '';",
        region,
    )


def yellow_across(video, y: float) -> float:
    """The fraction of the image's columns with the line's yellow (BGR 0,255,255) near height `y`."""
    img = cv2.imdecode(np.frombuffer(video.screenshot_as_png, np.uint8), cv2.IMREAD_COLOR).astype(int)
    h = img.shape[0]
    band = img[max(0, round(y * h) - 4) : round(y * h) + 5]
    yellow = (band[..., 0] < 110) & (band[..., 1] > 180) & (band[..., 2] > 180)
    return float(yellow.any(axis=0).mean())


def offset(driver, video, x: float, y: float) -> tuple[int, int]:
    """Selenium's pointer offsets are from the element's centre, in CSS pixels."""
    w, h = driver.execute_script(
        "const r = arguments[0].getBoundingClientRect(); return [r.width, r.height]", video
    )
    return round((x - 0.5) * w), round((y - 0.5) * h)


def test_track_objects_then_a_line_and_a_zone_drawn_with_the_mouse(page) -> None:
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    driver, web = page
    video = driver.find_element(By.ID, "video")
    wait_for(lambda: driver.execute_script("return arguments[0].naturalWidth", video) == 768, what="video")
    # the image is scaled by CSS: its box on screen is not the clip's 768x432
    assert driver.execute_script("return arguments[0].getBoundingClientRect().width", video) != 768
    assert yellow_across(video, LINE[0][1]) < 0.3  # no line on the video yet
    draw_line = driver.find_element(By.ID, "draw-line")
    assert not draw_line.is_enabled()  # nothing to draw on until tracking is on

    driver.find_element(By.ID, "track").click()
    wait_for(lambda: web.status()["tracking"]["on"], what="tracking on")
    wait_for(draw_line.is_enabled, what="Draw line enabled")

    draw_line.click()
    (x0, y0), (x1, y1) = (offset(driver, video, *p) for p in LINE)
    chain = ActionChains(driver).move_to_element_with_offset(video, x0, y0).click_and_hold()
    for k in range(1, 6):  # a drag, not a jump
        chain.move_to_element_with_offset(video, x0 + (x1 - x0) * k // 5, y0 + (y1 - y0) * k // 5)
    chain.release().perform()
    t = wait_for(lambda: (t := web.status()["tracking"])["line"] and t, what="the line in the session")
    assert near(t["line"], LINE), t["line"]

    # the video itself now shows the line (render.draw_tracks' yellow), not just the drawing overlay
    wait_for(lambda: yellow_across(video, LINE[0][1]) > 0.6, 15, "the line on the video")
    text = wait_for(lambda: cell(driver, "line"), what="the line's row in the counts")
    assert text == "no crossings yet" or "person" in text
    # people walk up through the line: a crossing shows on the page (the clip loops in real time)
    wait_for(lambda: "up person" in cell(driver, "line"), 120, "a count")
    assert sum(web.status()["tracking"]["counts"]["line"].values()) >= 1

    # a zone: Esc throws a half-drawn one away; then three corners and a click on the first closes it
    zone = driver.find_element(By.ID, "draw-zone")
    zone.click()
    ActionChains(driver).move_to_element_with_offset(
        video, *offset(driver, video, 0.2, 0.2)
    ).click().perform()
    ActionChains(driver).send_keys(Keys.ESCAPE).perform()
    stage = driver.find_element(By.ID, "stage")
    wait_for(lambda: "drawing" not in (stage.get_attribute("class") or ""), what="Esc to end the drawing")
    assert web.status()["tracking"]["zone"] is None
    zone.click()
    for x, y in [*ZONE, ZONE[0]]:
        ActionChains(driver).move_to_element_with_offset(
            video, *offset(driver, video, x, y)
        ).click().perform()
    t = wait_for(lambda: (t := web.status()["tracking"])["zone"] and t, what="the zone in the session")
    assert near(t["zone"], ZONE), t["zone"]
    assert near(t["line"], LINE)  # the line stays
    assert re.fullmatch(
        r"\d+ inside now · \d+ visits ended.*", wait_for(lambda: cell(driver, "zone"), what="zone row")
    )

    # a bad zone (its edges cross) is refused with the one-line reason under the video
    zone.click()
    for x, y in [(0.1, 0.1), (0.3, 0.3), (0.3, 0.1), (0.1, 0.3)]:
        ActionChains(driver).move_to_element_with_offset(
            video, *offset(driver, video, x, y)
        ).click().perform()
    keep = os.environ.get("CAMAPP_SCREENSHOT_DIR")
    if keep:  # the drawing overlay, dashed, before the video has the zone
        Path(keep).mkdir(parents=True, exist_ok=True)
        driver.save_screenshot(str(Path(keep) / "web-tracking-drawing.png"))
    ActionChains(driver).double_click().perform()
    message = driver.find_element(By.ID, "message")
    wait_for(lambda: "crosses itself" in message.text, what="the refusal")
    assert near(web.status()["tracking"]["zone"], ZONE)  # the good one stays
    ActionChains(driver).send_keys(Keys.ESCAPE).perform()

    driver.find_element(By.ID, "trails").click()
    wait_for(lambda: web.status()["tracking"]["trail"] == 30, what="trails")
    if keep:
        time.sleep(3)  # a few frames with the trails
        driver.execute_script("window.scrollTo(0, 0)")
        Path(keep).mkdir(parents=True, exist_ok=True)
        driver.save_screenshot(str(Path(keep) / "web-tracking.png"))

    driver.find_element(By.ID, "track-clear").click()
    t = wait_for(lambda: (t := web.status()["tracking"])["line"] is None and t, what="Clear")
    assert t["zone"] is None and t["on"]
