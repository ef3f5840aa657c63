"""A real browser signs in to a password-protected page: opened once with `?key=`, it keeps an
HttpOnly cookie, the address loses the key, and the video, the figures, a control and a download
work with no key in any URL. Without the cookie, the sign-in form lets it back in."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pytest
from web.client import Web
from web.page import served_page, wait_for

from camapp.web.security import COOKIE

PASSWORD = "correct-horse-battery"


@pytest.fixture(scope="module")
def page(model_store: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Any, Web]]:
    folder = tmp_path_factory.mktemp("web-browser-signin")
    profile = tmp_path_factory.mktemp("chromium-signin")
    with served_page(model_store, folder, profile, "--web-password", PASSWORD, key=PASSWORD) as served:
        yield served


def shot(element: Any) -> np.ndarray:
    img = cv2.imdecode(np.frombuffer(element.screenshot_as_png, np.uint8), cv2.IMREAD_COLOR)
    assert img is not None
    return img.astype(np.int16)


def test_the_page_works_with_the_cookie_and_no_key_in_the_address(page) -> None:
    from selenium.webdriver.common.by import By

    driver, web = page
    wait_for(lambda: driver.current_url == web.url + "/", what="the address without the key")
    cookies = {c["name"]: c for c in driver.get_cookies()}
    assert cookies[COOKIE]["httpOnly"] is True and cookies[COOKIE]["sameSite"] == "Strict", cookies
    assert PASSWORD not in cookies[COOKIE]["value"]
    assert driver.execute_script("return document.cookie") == ""  # the page's script cannot read it
    assert driver.execute_script("return sessionStorage.length + localStorage.length") == 0
    # the video plays
    video = driver.find_element(By.ID, "video")
    assert video.get_attribute("src") == web.url + "/video.mjpg"
    wait_for(lambda: driver.execute_script("return arguments[0].naturalWidth", video) == 768, what="video")
    first = shot(video)
    wait_for(lambda: float(np.abs(shot(video) - first).mean()) > 1.0, 15, "the video to change")
    # the figures stream in
    wait_for(lambda: "fps" in driver.find_element(By.ID, "f-inference").text, what="figures")
    # a control works: pause, then resume
    pause = driver.find_element(By.ID, "pause")
    pause.click()
    wait_for(lambda: web.status()["paused"] is True, what="the session to pause")
    pause.click()
    wait_for(lambda: web.status()["paused"] is False, what="the session to resume")
    # a snapshot appears in the list, and its download link (no key in it) answers the browser
    driver.find_element(By.ID, "snapshot").click()
    link = wait_for(
        lambda: next(iter(driver.find_elements(By.CSS_SELECTOR, "#files a[href*='download=1']")), None),
        what="the snapshot's download link",
    )
    href = link.get_attribute("href")
    assert "key=" not in href, href
    fetched = driver.execute_async_script(
        "const done = arguments[1];"
        "fetch(arguments[0]).then(async (r) => done([r.status, (await r.arrayBuffer()).byteLength]));",
        href,
    )
    assert fetched[0] == 200 and fetched[1] > 1000, fetched
    # nothing the page asked for carried the key
    urls = driver.execute_script("return performance.getEntriesByType('resource').map((e) => e.name)")
    assert urls and not [u for u in urls if "key=" in u], urls


def test_without_the_cookie_the_sign_in_form_lets_the_right_key_in(page) -> None:
    from selenium.webdriver.common.by import By

    driver, web = page
    driver.delete_all_cookies()
    driver.get(web.url + "/")
    form = driver.find_element(By.ID, "login")
    wait_for(form.is_displayed, what="the sign-in form")
    assert not driver.find_element(By.ID, "main").is_displayed()
    box = driver.find_element(By.ID, "login-key")
    box.send_keys("not-the-password")
    driver.find_element(By.CSS_SELECTOR, "#login button").click()
    error = driver.find_element(By.ID, "login-error")
    wait_for(lambda: error.text == "wrong key or password", what="the wrong key to be refused")
    box.send_keys(PASSWORD)
    driver.find_element(By.CSS_SELECTOR, "#login button").click()
    wait_for(lambda: driver.find_element(By.ID, "main").is_displayed(), what="the page after signing in")
    assert COOKIE in {c["name"] for c in driver.get_cookies()}
    video = driver.find_element(By.ID, "video")
    wait_for(lambda: driver.execute_script("return arguments[0].naturalWidth", video) == 768, what="video")
    # a wrong key in the address says so on the form and signs nobody in
    driver.delete_all_cookies()
    driver.get(web.url + "/?key=not-the-password")
    wait_for(lambda: driver.find_element(By.ID, "login-error").text == "wrong key or password", what="form")
    assert driver.current_url == web.url + "/"
