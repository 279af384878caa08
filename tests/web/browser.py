"""Debian's headless Chromium driven through Selenium (chromedriver given explicitly: Selenium
Manager, which would download a driver, is never used). Blocking: call it through
`tests.helpers.in_thread`."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support.ui import WebDriverWait

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
WAIT = 15.0
PHONE = (390, 844)
DESKTOP = (1280, 900)


def require_chromium() -> None:
    """Fail in CI (scripts/check installs both), skip on a machine without them."""
    missing = [str(path) for path in (CHROMIUM, CHROMEDRIVER) if not path.exists()]
    if missing and os.environ.get("CI"):
        pytest.fail(f"missing {', '.join(missing)} (scripts/check installs them)")
    if missing:
        pytest.skip(f"missing {', '.join(missing)}: apt-get install chromium chromium-driver")


class Browser:
    def __init__(self, size: tuple[int, int] = DESKTOP) -> None:
        options = webdriver.ChromeOptions()
        options.binary_location = str(CHROMIUM)
        for argument in (
            "--headless=new",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--no-first-run",
            f"--window-size={size[0]},{size[1]}",
        ):
            options.add_argument(argument)
        self.driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)

    def open(self, url: str) -> None:
        self.driver.get(url)

    def wait(self, condition: Callable[[], Any], timeout: float = WAIT) -> Any:
        return WebDriverWait(self.driver, timeout, poll_frequency=0.05).until(
            lambda _driver: condition()
        )

    def row(self, entity_id: str) -> WebElement:
        return self.driver.find_element(By.CSS_SELECTOR, f'li[data-entity-id="{entity_id}"]')

    def state_text(self, entity_id: str) -> str:
        try:
            return self.row(entity_id).find_element(By.CLASS_NAME, "state").text
        except Exception:  # not rendered yet
            return ""

    def wait_state(self, entity_id: str, text: str) -> None:
        self.wait(lambda: self.state_text(entity_id).startswith(text))

    def control(self, entity_id: str, action: str) -> WebElement:
        return self.row(entity_id).find_element(By.CSS_SELECTOR, f'[data-action="{action}"]')

    def click(self, entity_id: str, action: str) -> None:
        self.control(entity_id, action).click()

    def visible(self, element_id: str) -> bool:
        return self.driver.find_element(By.ID, element_id).is_displayed()

    def text(self, element_id: str) -> str:
        return str(self.driver.find_element(By.ID, element_id).text)

    def script(self, source: str) -> Any:
        return self.driver.execute_script(source)

    def screenshot(self, path: Path) -> None:
        self.driver.save_screenshot(str(path))

    def quit(self) -> None:
        self.driver.quit()
