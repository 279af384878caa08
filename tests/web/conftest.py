"""The web suite's rigs: a gateway process with its page (API and auth tests), a gateway in
the test's loop with mock pins (browser tests), and an HTTP client."""

from __future__ import annotations

import re
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import pytest

import platforms.gpio
from gateway.bootstrap import async_setup_gateway
from gateway.clock import FakeClock
from gateway.config import load_config
from gateway.core import Gateway
from gateway.loader import resolve_platform_schema
from gateway.web import async_get_server
from tests.broker import Mosquitto
from tests.fixtures_mqtt import MqttProbe
from tests.helpers import in_thread
from tests.process import GatewayProcess

ENTITIES = """\
gpio: {{pin_factory: mock}}
switch:
  - {{platform: gpio, name: Relay, pin: 22}}
light:
  - {{platform: gpio, name: Strip, pin: 18, frequency: 500}}
button:
  - {{platform: gpio, name: Gate, pin: 23, pulse: 0.5}}
binary_sensor:
  - {{platform: gpio, name: Door, pin: 17, pull_up: true}}
sensor:
  - {{platform: gpio, type: counter, name: Water, pin: 5, unit_of_measurement: L}}
  - {{platform: virtual, name: Setpoint, value: 21.5, unit_of_measurement: "°C"}}
automation:
  - id: door_light
    alias: Door light
    trigger: [{{platform: state, entity_id: binary_sensor.door, to: "ON"}}]
    action: [{{service: light.turn_on, entity_id: light.strip}}]
"""
URL_LINE = re.compile(r"Web page at (http://\S+)")


def board_config(state_dir: Path, port: int, base: str, web: str = "{port: 0}") -> str:
    head = (
        f"gateway: {{node_id: webnode, name: Web test board, state_dir: {state_dir}}}\n"
        f"mqtt: {{port: {port}, base_topic: {base}, discovery: false, keepalive: 5}}\n"
        f"web: {web}\n"
    )
    return head + ENTITIES.format()


def page_url(log: str) -> str:
    match = URL_LINE.search(log)
    assert match, f"no 'Web page at' line in:\n{log}"
    return match.group(1)


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10)) as session:
        yield session


@dataclass
class WebDaemon:
    """A `boardgate run` process serving the page."""

    process: GatewayProcess
    url: str
    base: str  # the node's MQTT base topic, `<base_topic>/webnode`

    def api(self, path: str) -> str:
        return self.url + path.lstrip("/")


@pytest.fixture
def web_daemon_factory(
    gateway_processes: Callable[..., GatewayProcess], tmp_path: Path, mqtt_broker: Mosquitto
) -> Callable[..., Any]:
    """Start a daemon with `web:` as given; returns it once the page is served."""

    async def start(web: str = "{port: 0}") -> WebDaemon:
        base = f"bgweb-{uuid.uuid4().hex[:8]}"
        config = board_config(tmp_path / "state", mqtt_broker.port, base, web)
        process = await in_thread(gateway_processes, config)
        await in_thread(process.start)
        await in_thread(process.wait_for_output, "Boardgate running as")
        return WebDaemon(process, page_url(await in_thread(process.output)), f"{base}/webnode")

    return start


@dataclass
class WebBoard:
    """A gateway in the test's loop, with mock pins, a broker of its own and its page."""

    gw: Gateway
    factory: Any
    broker: Mosquitto
    probe: MqttProbe
    url: str
    base: str

    def pin(self, number: int) -> Any:
        return self.factory.pin(number)


@pytest.fixture
async def web_board(
    tmp_path: Path, private_broker: Mosquitto, mqtt_probe_factory: Callable[..., Any]
) -> AsyncIterator[WebBoard]:
    base = f"bgwebb-{uuid.uuid4().hex[:8]}"
    path = tmp_path / "boardgate.yaml"
    await in_thread(path.write_text, board_config(tmp_path / "state", private_broker.port, base))
    probe: MqttProbe = await mqtt_probe_factory(private_broker.port)
    await probe.subscribe(f"{base}/#")
    config = await in_thread(load_config, path, resolve_platform_schema)
    gw = await async_setup_gateway(config, clock=FakeClock())
    driver = await platforms.gpio.async_get_driver(gw)
    server = async_get_server(gw)
    assert server is not None
    try:
        yield WebBoard(gw, driver.factory, private_broker, probe, server.url, f"{base}/webnode")
    finally:
        await gw.async_stop()
        driver.factory.reset()


ARTIFACTS = Path(__file__).resolve().parents[2] / ".artifacts" / "web"


@pytest.fixture
def artifacts_dir() -> Path:
    """Where a test keeps what a person may want to look at (screenshots); the folder is
    named at the end of the run."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if ARTIFACTS.is_dir() and any(ARTIFACTS.iterdir()):
        names = ", ".join(sorted(path.name for path in ARTIFACTS.iterdir()))
        terminalreporter.write_line(f"web page artifacts in {ARTIFACTS}: {names}")
