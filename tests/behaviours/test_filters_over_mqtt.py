"""Filters on every numeric sensor platform, end to end through a real mosquitto.

One YAML config with a sensor of each platform (gpio counter, serial, mqtt, onewire, system),
each with filters; the gateway runs on a fake clock, so throttles, heartbeats and timeouts are
driven by advancing it.
"""

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
from tests.serial.conftest import PtyDevice

SENSOR_ID = "28-0316a2795eff"
W1_GOOD = "72 01 4b 46 7f ff 0e 10 57 : crc=57 YES\n72 01 4b 46 7f ff 0e 10 57 t=23125\n"

CONFIG = """\
gateway: {{node_id: filt, state_dir: {state}}}
mqtt: {{port: {port}, base_topic: {base}, discovery: false}}
gpio: {{pin_factory: mock}}
serial:
  - {{id: arduino, port: {tty}}}
binary_sensor:
  - {{platform: mqtt, name: Garden, state_topic: {base}/ext/garden, delayed_on: 1s}}
sensor:
  - platform: gpio
    type: counter
    name: Water
    pin: 5
    filters: [{{multiply: 0.5}}]
  - platform: serial
    name: Tank
    serial_id: arduino
    value_regex: 'L=([-0-9.]+)'
    unit_of_measurement: "%"
    filters:
      - calibrate_linear: [[0, 0], [10, 100]]
      - clamp: {{min: 0, max: 100}}
      - round: 0
      - heartbeat: 30s
  - platform: mqtt
    name: Outside
    state_topic: {base}/ext/outside
    unit_of_measurement: "°C"
    filters: [{{offset: -0.5}}, {{delta: 1}}, {{timeout: 60s}}]
  - platform: onewire
    name: Boiler
    sensor_id: {sensor_id}
    sys_root: {sys}
    filters: [{{offset: 1.0}}]
  - platform: system
    type: load
    name: Load
    proc_root: {proc}
    scan_interval: 10
    filters:
      - multiply: 100
      - sliding_window: {{size: 2, type: max}}
      - throttle: 20s
"""


@dataclass
class Node:
    gw: Gateway
    clock: FakeClock
    probe: MqttProbe
    factory: Any
    tty: PtyDevice
    b: str
    proc: Path

    async def state(self, entity: str, payload: str) -> None:
        await self.probe.wait_for_value(f"{self.b}/sensor/{entity}/state", payload)

    def states(self, entity: str) -> list[bytes]:
        return self.probe.values(f"{self.b}/sensor/{entity}/state")

    async def sync(self) -> None:
        """Wait until the gateway handled what was published before: it answers an
        `<e>/get` sent after it (one connection delivers in order)."""
        seen = len(self.states("outside"))
        await self.probe.publish(f"{self.b}/sensor/outside/get", "")
        await self.probe.wait_until(lambda: len(self.states("outside")) > seen)
        await self.gw.async_block_till_done()

    async def tick(self, seconds: float) -> None:
        self.clock.advance(seconds)
        await self.gw.async_block_till_done()


def _trees(root: Path) -> tuple[Path, Path]:
    sys_root, proc_root = root / "sys", root / "proc"
    slave = sys_root / "bus/w1/devices" / SENSOR_ID / "w1_slave"
    slave.parent.mkdir(parents=True)
    slave.write_text(W1_GOOD)
    proc_root.mkdir()
    (proc_root / "loadavg").write_text("0.50 0.40 0.30 1/100 4242\n")
    return sys_root, proc_root


@pytest.fixture
async def node(
    tmp_path: Path, mqtt_broker: Mosquitto, mqtt_probe_factory: Callable[..., Any]
) -> AsyncIterator[Node]:
    base = f"bgfilt-{uuid.uuid4().hex[:8]}"
    sys_root, proc_root = await in_thread(_trees, tmp_path)
    tty = PtyDevice(tmp_path / "usb-tank")
    tty.plug()
    text = CONFIG.format(
        state=tmp_path / "state",
        port=mqtt_broker.port,
        base=base,
        tty=tty.link,
        sensor_id=SENSOR_ID,
        sys=sys_root,
        proc=proc_root,
    )
    path = tmp_path / "boardgate.yaml"
    await in_thread(path.write_text, text)
    probe: MqttProbe = await mqtt_probe_factory(mqtt_broker.port)
    await probe.subscribe(f"{base}/filt/#")
    clock = FakeClock()
    gw = await async_setup_gateway(
        await in_thread(load_config, path, resolve_platform_schema), clock=clock
    )
    driver = await platforms.gpio.async_get_driver(gw)
    try:
        await wait_in_sync(get_data(gw).connection)
        yield Node(gw, clock, probe, driver.factory, tty, f"{base}/filt", proc_root)
    finally:
        await gw.async_stop()
        assert clock.pending() == 0  # no filter, debounce or click timer left behind
        driver.factory.reset()
        tty.unplug()


async def test_gpio_counter_is_filtered(node: Node) -> None:
    def four_pulses() -> None:
        for _ in range(4):
            node.factory.pin(5).drive_high()
            node.factory.pin(5).drive_low()

    await in_thread(four_pulses, name="gpio-driver")
    await node.state("water", "2.0")
    assert node.gw.states.get("sensor.water").state == "2.0"  # type: ignore[union-attr]


async def test_serial_calibrated_clamped_rounded_and_heartbeat(node: Node) -> None:
    await node.tty.write(b"L=2.5\n")
    await node.state("tank", "25")
    await node.tty.write(b"L=50\n")
    await node.state("tank", "100")
    published = len(node.states("tank"))
    await node.tick(30)  # heartbeat: the same value once more
    await node.probe.wait_until(lambda: len(node.states("tank")) == published + 1)
    assert node.states("tank")[-1] == b"100"


async def test_mqtt_offset_delta_and_timeout(node: Node) -> None:
    topic = f"{node.b.rsplit('/', 1)[0]}/ext/outside"
    await node.probe.publish(topic, "20")
    await node.state("outside", "19.5")
    await node.probe.publish(topic, "20.2")  # moved 0.2 < delta 1: dropped
    await node.sync()
    await node.probe.publish(topic, "21.5")
    await node.state("outside", "21.0")
    assert b"19.7" not in node.states("outside")
    availability = f"{node.b}/sensor/outside/availability"
    await node.sync()
    await node.tick(60)  # no value for 60 s: unavailable
    await node.probe.wait_for_value(availability, "offline")
    await node.probe.publish(topic, "30")
    await node.probe.wait_for_value(availability, "online")
    await node.state("outside", "29.5")


async def test_onewire_offset(node: Node) -> None:
    await node.state("boiler", "24.1")  # 23.125 + 1, at the platform's precision of 1


async def test_system_window_and_throttle(node: Node) -> None:
    await node.state("load", "50.00")
    await in_thread((node.proc / "loadavg").write_text, "0.90 0.40 0.30 1/100 4242\n")
    await node.tick(10)  # read at +10 s: 90, but throttled (20 s)
    assert node.states("load")[-1] == b"50.00"
    await in_thread((node.proc / "loadavg").write_text, "0.10 0.40 0.30 1/100 4242\n")
    await node.tick(10)  # read at +20 s: max(90, 10) of the window passes
    await node.state("load", "90.00")


async def test_mqtt_binary_sensor_delayed_on(node: Node) -> None:
    topic = f"{node.b.rsplit('/', 1)[0]}/ext/garden"
    state = f"{node.b}/binary_sensor/garden/state"
    await node.probe.publish(topic, "OFF")
    await node.probe.wait_for_value(state, "OFF")
    await node.probe.publish(topic, "ON")
    await node.sync()
    await node.tick(0.5)
    await node.probe.publish(topic, "OFF")  # on for only 0.5 s: never counts
    await node.sync()
    await node.tick(1.0)
    await node.probe.publish(topic, "ON")
    await node.sync()
    await node.tick(0.99)
    assert node.gw.states.get("binary_sensor.garden").state == "OFF"  # type: ignore[union-attr]
    await node.tick(0.01)
    await node.probe.wait_for_value(state, "ON")
    assert b"ON" not in node.probe.values(state)[:-1]
