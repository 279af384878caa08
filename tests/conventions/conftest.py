"""A gateway with mock GPIO pins and the optional conventions, against the real broker."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

import platforms.gpio
from gateway.bootstrap import async_setup_gateway
from gateway.clock import FakeClock
from gateway.config import load_config
from gateway.core import Gateway
from gateway.loader import resolve_platform_schema
from gateway.mqtt import get_data
from tests.broker import Mosquitto
from tests.fixtures_mqtt import MqttProbe
from tests.helpers import in_thread
from tests.mqtt.conftest import wait_in_sync

ENTITIES = """\
gpio: {{pin_factory: mock}}
switch:
  - {{platform: gpio, name: Relay 1, pin: 22, on_stop: "off"}}
light:
  - {{platform: gpio, name: Strip, pin: 18, frequency: 500}}
button:
  - {{platform: gpio, name: Gate, pin: 23, pulse: 0.5}}
binary_sensor:
  - {{platform: gpio, name: Door, pin: 17, pull_up: true}}
sensor:
  - {{platform: gpio, type: counter, name: Water, pin: 5, unit_of_measurement: L}}
  - {{platform: virtual, name: Attic, value: 21.5, unit_of_measurement: "°C"}}
  - {{platform: virtual, name: Mode, value: eco}}
"""


@dataclass
class Rig:
    gw: Gateway
    clock: FakeClock
    probe: MqttProbe
    factory: Any
    tag: str
    path: Path

    def pin(self, number: int) -> Any:
        return self.factory.pin(number)


def config_text(tmp_path: Path, port: int, tag: str, conventions: str, protocol: str = "5") -> str:
    head = (
        f"gateway: {{node_id: board_{tag}, name: Test board, state_dir: {tmp_path / 'state'}}}\n"
        f"mqtt: {{port: {port}, base_topic: bg-{tag}, discovery: false, protocol: '{protocol}'}}\n"
    )
    return head + conventions + ENTITIES.format()


@pytest.fixture
async def make_rig(
    tmp_path: Path, mqtt_broker: Mosquitto, mqtt_probe_factory: Callable[..., Any]
) -> AsyncIterator[Callable[..., Any]]:
    """`await make_rig(conventions_yaml, probe_filters)`: a started gateway and a probe that
    subscribed first; stopped after the test."""
    started: list[tuple[Gateway, Any]] = []

    async def make(
        conventions: str, filters: list[str], broker: Mosquitto | None = None, protocol: str = "5"
    ) -> Rig:
        """On `broker` (default: the shared one); a private broker's restarts need real
        time to pass for the reconnect backoff, so its gateway runs on the loop's clock."""
        port = (broker or mqtt_broker).port
        tag = uuid.uuid4().hex[:8]
        path = tmp_path / "boardgate.yaml"
        text = config_text(tmp_path, port, tag, conventions.format(tag=tag), protocol)
        await in_thread(path.write_text, text)
        probe: MqttProbe = await mqtt_probe_factory(port)
        for topic_filter in filters:
            await probe.subscribe(topic_filter.format(tag=tag))
        clock = FakeClock()
        config = await in_thread(load_config, path, resolve_platform_schema)
        gw = await async_setup_gateway(config, clock=None if broker else clock)
        driver = await platforms.gpio.async_get_driver(gw)
        started.append((gw, driver))
        await wait_in_sync(get_data(gw).connection)
        return Rig(gw, clock, probe, driver.factory, tag, path)

    yield make
    for gw, driver in started:
        await gw.async_stop()
        driver.factory.reset()
