"""The page in a real headless Chromium, against a gateway in the test's loop (mock pins driven
from foreign threads, a mosquitto of the test's own that the test may stop)."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator

import pytest
from selenium.webdriver.common.keys import Keys

from gateway.web import async_get_server
from gateway.web.server import WebServer
from tests.helpers import in_thread
from tests.web.browser import PHONE, Browser, require_chromium
from tests.web.conftest import WebBoard

ENTITY_IDS = (
    "switch.relay", "light.strip", "button.gate", "automation.door_light",
    "binary_sensor.door", "sensor.water", "sensor.setpoint",
)  # fmt: skip


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    require_chromium()
    made = await in_thread(Browser, name="chromium")
    try:
        yield made
    finally:
        await in_thread(made.quit, name="chromium")


def page_ready(browser: Browser, url: str) -> None:
    browser.open(url)
    for entity_id in ENTITY_IDS:
        browser.wait(lambda entity_id=entity_id: browser.state_text(entity_id) not in ("", "…"))
    browser.wait(lambda: browser.text("link") == "live")


async def test_the_page_lists_entities_and_a_click_drives_the_pin(
    web_board: WebBoard, browser: Browser, artifacts_dir: object
) -> None:
    board = web_board
    await board.probe.wait_for_value(f"{board.base}/switch/relay/state", "OFF")
    await in_thread(page_ready, browser, board.url)
    sections = await in_thread(
        browser.script,
        "return [...document.querySelectorAll('section.domain h2')].map(h => h.textContent)",
    )
    assert sections == [
        "Switches", "Lights", "Buttons", "Automations", "Binary sensors", "Sensors",
    ]  # fmt: skip
    assert await in_thread(browser.state_text, "sensor.setpoint") == "21.5 °C"
    assert await in_thread(browser.text, "device-name") == "Web test board"

    await in_thread(browser.click, "switch.relay", "toggle")
    await board.probe.wait_for_value(f"{board.base}/switch/relay/state", "ON")
    assert board.pin(22).state == 1
    await in_thread(browser.wait_state, "switch.relay", "ON")

    # by keyboard: the toggle is a real button, Space works it
    toggle = await in_thread(browser.control, "switch.relay", "toggle")
    await in_thread(toggle.send_keys, Keys.SPACE)
    await board.probe.wait_for_value(f"{board.base}/switch/relay/state", "OFF")
    assert board.pin(22).state == 0

    # the brightness slider: ARROW keys move it, the change turns the light on
    slider = await in_thread(browser.control, "light.strip", "brightness")
    await in_thread(slider.send_keys, Keys.END)
    await board.probe.wait_until(
        lambda: (
            b'"brightness":255' in board.probe.latest.get(f"{board.base}/light/strip/state", b"")
        )
    )
    await in_thread(browser.wait_state, "light.strip", "ON 100 %")

    await in_thread(browser.click, "button.gate", "press")
    await in_thread(browser.wait_state, "button.gate", "pressed")
    assert board.pin(23).state == 1  # the pulse is on until the (fake) clock moves on
    await in_thread(browser.click, "automation.door_light", "toggle")
    await in_thread(browser.wait_state, "automation.door_light", "off")
    assert board.gw.states.get("automation.door_light").state == "off"  # type: ignore[union-attr]
    await in_thread(browser.wait, lambda: browser.text("health") != "")
    await in_thread(browser.wait, lambda: "Web page at" in browser.text("logs"))
    await in_thread(browser.screenshot, artifacts_dir / "page-desktop.png")  # type: ignore[operator]


async def test_a_pin_edge_from_a_foreign_thread_appears_without_reload(
    web_board: WebBoard, browser: Browser, artifacts_dir: object
) -> None:
    board = web_board
    await in_thread(page_ready, browser, board.url)
    await in_thread(browser.script, "window.notReloaded = true")
    await in_thread(board.pin(17).drive_low, name="gpio-driver")  # pull-up: low is pressed
    await in_thread(browser.wait_state, "binary_sensor.door", "ON")
    await in_thread(browser.wait_state, "light.strip", "ON")  # the automation ran
    for _ in range(3):
        await in_thread(board.pin(5).drive_high, name="gpio-driver")
        await in_thread(board.pin(5).drive_low, name="gpio-driver")
    await in_thread(browser.wait, lambda: browser.state_text("sensor.water") not in ("0 L", ""))
    assert await in_thread(browser.script, "return window.notReloaded") is True
    points = await in_thread(
        browser.script,
        "return document.querySelector('li[data-entity-id=\"sensor.water\"] polyline')"
        ".getAttribute('points')",
    )
    assert points  # the sparkline drew the counts
    server = async_get_server(board.gw)
    assert server is not None
    assert server.history.points("sensor.water")[-1][1] == "3"
    await in_thread(browser.driver.set_window_size, *PHONE)
    assert await in_thread(
        browser.script, "return document.documentElement.scrollWidth <= window.innerWidth"
    )
    await in_thread(browser.screenshot, artifacts_dir / "page-phone.png")  # type: ignore[operator]


async def test_an_unavailable_entity_is_greyed_out_and_its_controls_disabled(
    web_board: WebBoard, browser: Browser
) -> None:
    board = web_board
    await in_thread(page_ready, browser, board.url)
    board.gw.states.async_set("switch.relay", "unavailable")  # as a hung driver would leave it
    await in_thread(browser.wait_state, "switch.relay", "unavailable")
    row = await in_thread(browser.row, "switch.relay")
    assert "unavailable" in await in_thread(row.get_attribute, "class")
    assert float(await in_thread(row.value_of_css_property, "opacity")) < 0.5
    toggle = await in_thread(browser.control, "switch.relay", "toggle")
    assert not await in_thread(toggle.is_enabled)
    light = await in_thread(browser.control, "light.strip", "toggle")
    assert await in_thread(light.is_enabled)  # the others are untouched
    board.gw.states.async_set("switch.relay", "OFF")
    await in_thread(browser.wait, lambda: toggle.is_enabled())


async def test_the_page_works_with_the_broker_stopped(
    web_board: WebBoard, browser: Browser
) -> None:
    board = web_board
    await in_thread(page_ready, browser, board.url)
    await in_thread(browser.wait, lambda: browser.text("broker") == "broker connected")
    await board.broker.async_stop()
    await in_thread(browser.wait, lambda: browser.text("broker") == "broker disconnected")
    await in_thread(browser.click, "switch.relay", "toggle")
    await in_thread(browser.wait_state, "switch.relay", "ON")
    assert board.pin(22).state == 1
    await in_thread(board.pin(17).drive_low, name="gpio-driver")
    await in_thread(browser.wait_state, "binary_sensor.door", "ON")


async def test_a_stale_page_says_so_and_reconnects(web_board: WebBoard, browser: Browser) -> None:
    board = web_board
    await in_thread(page_ready, browser, board.url)
    server = async_get_server(board.gw)
    assert server is not None
    await server.async_stop()
    await in_thread(browser.wait, lambda: browser.visible("lost"))
    assert await in_thread(browser.text, "link") == "connection lost"
    again = WebServer(board.gw, dataclasses.replace(server.config, port=server.port))
    await again.async_start()  # stopped with the gateway
    await board.gw.async_add_executor_job(board.pin(17).drive_low)
    await in_thread(browser.wait, lambda: not browser.visible("lost"))
    await in_thread(browser.wait_state, "binary_sensor.door", "ON")
