"""Motion masks in a real browser (Debian's Chromium, headless, Selenium) on `camapp run --web
--motion --motion-mask ...`: the page shows the command line's mask, a mask drawn by clicking its
corners reaches the session at the normalized coordinates, a bad one is refused with its reason,
Clear removes them, and masks drawn while motion is off apply when it is turned on. Set
CAMAPP_SCREENSHOT_DIR to keep the page's screenshot."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from web.page import served_page, wait_for

CLI = "0.6,0.6,0.9,0.6,0.9,0.9"
DRAWN = [(0.1, 0.15), (0.35, 0.15), (0.35, 0.45), (0.1, 0.45)]
LATER = [(0.5, 0.1), (0.7, 0.1), (0.6, 0.3)]
NEAR = 0.01


@pytest.fixture(scope="module")
def page(model_store: Path, tmp_path_factory: pytest.TempPathFactory):
    folder = tmp_path_factory.mktemp("web-browser-masks")
    profile = tmp_path_factory.mktemp("chromium-profile")
    with served_page(model_store, folder, profile, "--motion", "--motion-mask", CLI) as (driver, web):
        yield driver, web


def near(points, expected) -> bool:
    return len(points) == len(expected) and all(
        abs(a - b) <= NEAR for p, q in zip(points, expected, strict=True) for a, b in zip(p, q, strict=True)
    )


def offset(driver, video, x: float, y: float) -> tuple[int, int]:
    """Selenium's pointer offsets are from the element's centre, in CSS pixels."""
    w, h = driver.execute_script(
        "const r = arguments[0].getBoundingClientRect(); return [r.width, r.height]", video
    )
    return round((x - 0.5) * w), round((y - 0.5) * h)


def click_at(driver, video, points) -> None:
    from selenium.webdriver.common.action_chains import ActionChains

    for x, y in points:
        ActionChains(driver).move_to_element_with_offset(video, *offset(driver, video, x, y)).click().perform()


def shade(driver, x: float, y: float) -> int:
    """The overlay canvas's alpha at (x, y) of the picture: above 0 where a mask is drawn."""
    return driver.execute_script(
        "const c = document.getElementById('overlay'), v = document.getElementById('video');"
        "const r = v.getBoundingClientRect(), s = Math.min(r.width / v.naturalWidth, r.height / v.naturalHeight);"
        "const w = v.naturalWidth * s, h = v.naturalHeight * s, d = window.devicePixelRatio || 1;"
        "const px = ((r.width - w) / 2 + arguments[0] * w) * d, py = ((r.height - h) / 2 + arguments[1] * h) * d;"
        "return c.getContext('2d').getImageData(Math.round(px), Math.round(py), 1, 1).data[3];",
        x,
        y,
    )


def masks(web) -> list:
    return web.status()["motion_masks"]["points"]


def test_masks_drawn_cleared_and_refused_in_the_page(page) -> None:
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    driver, web = page
    video = driver.find_element(By.ID, "video")
    wait_for(lambda: driver.execute_script("return arguments[0].naturalWidth", video) == 768, what="video")
    find = lambda name: driver.find_element(By.ID, name)  # noqa: E731
    # the command line's mask: in the session, on the video, and as the text that gives it
    assert web.status()["motion"]["masks"] == [[[0.6, 0.6], [0.9, 0.6], [0.9, 0.9]]]
    wait_for(lambda: find("mask-cli").text == f"--motion-mask {CLI}", what="the command line's text")
    assert find("mask-info").text == "1 mask: motion inside is ignored"
    wait_for(lambda: shade(driver, 0.8, 0.7) > 0, what="the mask shaded on the video")
    assert shade(driver, 0.2, 0.3) == 0

    # Esc throws a half-drawn mask away
    find("draw-mask").click()
    assert "active" in find("draw-mask").get_attribute("class")
    click_at(driver, video, DRAWN[:2])
    ActionChains(driver).send_keys(Keys.ESCAPE).perform()
    stage = find("stage")
    wait_for(lambda: "drawing" not in (stage.get_attribute("class") or ""), what="Esc to end the drawing")
    assert len(masks(web)) == 1

    # four corners and a click on the first: the session has it, live
    find("draw-mask").click()
    click_at(driver, video, [*DRAWN, DRAWN[0]])
    wait_for(lambda: len(web.status()["motion"]["masks"]) == 2, what="the drawn mask in the session")
    assert near(web.status()["motion"]["masks"][1], DRAWN) and near(masks(web)[1], DRAWN)
    assert find("mask-hint").text == "Mask added: motion inside it is ignored"
    args = web.status()["motion_masks"]["args"]
    assert args.startswith(f"--motion-mask {CLI} --motion-mask 0.") and args.count("--motion-mask") == 2
    drawn = [float(v) for v in args.split()[-1].split(",")]
    assert near(list(zip(drawn[::2], drawn[1::2])), DRAWN)  # the same points as the session's
    wait_for(lambda: find("mask-cli").text == args, what="both masks' command-line text")
    wait_for(lambda: shade(driver, 0.2, 0.3) > 0, what="the drawn mask on the video")
    keep = os.environ.get("CAMAPP_SCREENSHOT_DIR")
    if keep:
        Path(keep).mkdir(parents=True, exist_ok=True)
        driver.execute_script("window.scrollTo(0, 0)")
        driver.save_screenshot(str(Path(keep) / "web-motion-masks.png"))

    # three corners on one line make no mask: the session's reason under the video, nothing added
    find("draw-mask").click()
    click_at(driver, video, [(0.1, 0.6), (0.2, 0.6), (0.3, 0.6), (0.1, 0.6)])
    wait_for(lambda: find("message").text == "bad request: 'mask': the polygon has no area", what="refusal")
    assert len(masks(web)) == 2 and "drawing" in stage.get_attribute("class")  # draw it again
    ActionChains(driver).send_keys(Keys.ESCAPE).perform()

    # the same at the HTTP boundary: one line, 400
    for body, reason in [
        ({"mask": [[0.1, 0.1], [0.2, 0.2]]}, "'mask': a mask needs at least 3 points, got 2"),
        ({"mask": [[0.1, 0.1], [1.5, 0.1], [0.2, 0.2]]}, "'mask': coordinates must be between 0 and 1"),
        ({"masks": [[[0, 0], [1, 0]]]}, "'masks': a mask needs at least 3 points, got 2"),
        ({"mask": "0,0,1,0,1,1"}, "'mask' must be a list of [x, y] points"),
    ]:
        text = web.post("motion", body, expect=400)
        assert text.startswith(f"bad request: {reason}") and text.count("\n") == 1, text
    assert len(masks(web)) == 2

    # Clear: none left, the command line's too
    find("mask-clear").click()
    wait_for(lambda: web.status()["motion"]["masks"] == [], what="masks cleared")
    wait_for(lambda: not find("mask-args").is_displayed() and find("mask-info").text == "No masks", what="page")
    assert not find("mask-clear").is_enabled() and web.status()["motion_masks"] == {"points": [], "args": ""}

    # motion off: a drawn mask is kept (outlined) and applies when motion is on again
    find("motion").click()
    wait_for(lambda: web.status()["motion"] is None, what="motion off")
    find("draw-mask").click()
    click_at(driver, video, LATER)
    ActionChains(driver).double_click().perform()
    wait_for(lambda: len(masks(web)) == 1, what="the mask kept while motion is off")
    assert web.status()["motion"] is None and near(masks(web)[0], LATER)
    wait_for(lambda: find("mask-info").text == "1 mask, used once Detect on motion is on", what="info")
    find("motion").click()
    wait_for(lambda: web.status()["motion"] is not None, what="motion on")
    assert near(web.status()["motion"]["masks"][0], LATER)
