"""Debounce and clicks on a mock pin driven from a real foreign thread, on a fake clock,
through a real mosquitto: `<e>/event`, the `click` bus event, an automation, and discovery."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

import platforms.gpio
from gateway.bootstrap import async_setup_gateway
from gateway.clock import FakeClock
from gateway.config import load_config
from gateway.core import Event, Gateway, callback
from gateway.domains.binary_sensor import EVENT_CLICK, ClickData
from gateway.loader import resolve_platform_schema
from gateway.mqtt import get_data
from gateway.reload import async_reload_from_file
from tests.broker import Mosquitto
from tests.fixtures_mqtt import MqttProbe
from tests.helpers import in_thread
from tests.mqtt.conftest import wait_in_sync

CONFIG = """\
gateway: {{node_id: clicks, name: Clicks, state_dir: {state}}}
mqtt: {{port: {port}, base_topic: {base}, discovery: {{prefix: {prefix}}}}}
gpio: {{pin_factory: mock}}
binary_sensor:
  - platform: gpio
    name: Hall button
    pin: 27
    pull_up: true
    delayed_on: 30ms
    delayed_off: 30ms
    clicks: {{single: true, double: true, long: true, double_gap: 0.3s, long_min: 0.8s}}
switch:
  - {{platform: gpio, name: Lamp, pin: 22}}
automation:
  - id: lamp_on_double
    trigger:
      - platform: event
        event_type: click
        event_data: {{entity_id: binary_sensor.hall_button, click: double}}
    action: [{{service: switch.turn_on, entity_id: switch.lamp}}]
"""


@dataclass
class Button:
    path: Path
    gw: Gateway
    clock: FakeClock
    probe: MqttProbe
    factory: Any
    b: str
    prefix: str
    clicks: list[ClickData] = field(default_factory=list)

    async def drive(self, pressed: bool) -> None:
        """Press (the contact pulls the pin low) or release, from a foreign thread."""
        pin = self.factory.pin(27)
        await in_thread(pin.drive_low if pressed else pin.drive_high, name="gpio-driver")
        await self.gw.async_block_till_done()

    async def tick(self, seconds: float) -> None:
        self.clock.advance(seconds)
        await self.gw.async_block_till_done()

    async def click(self, hold: float = 0.1) -> None:
        await self.drive(True)
        await self.tick(hold)
        await self.drive(False)
        await self.tick(0.05)

    def events(self) -> list[bytes]:
        return self.probe.values(f"{self.b}/event/hall_button/event")

    def state(self) -> str:
        return self.gw.states.get("binary_sensor.hall_button").state  # type: ignore[union-attr]


@pytest.fixture
async def button(
    tmp_path: Path, mqtt_broker: Mosquitto, mqtt_probe_factory: Callable[..., Any]
) -> AsyncIterator[Button]:
    base, prefix = f"bgclk-{uuid.uuid4().hex[:8]}", f"ha-{uuid.uuid4().hex[:8]}"
    path = tmp_path / "boardgate.yaml"
    text = CONFIG.format(state=tmp_path / "state", port=mqtt_broker.port, base=base, prefix=prefix)
    await in_thread(path.write_text, text)
    probe: MqttProbe = await mqtt_probe_factory(mqtt_broker.port)
    await probe.subscribe(f"{base}/#")
    await probe.subscribe(f"{prefix}/#")
    clock = FakeClock()
    gw = await async_setup_gateway(
        await in_thread(load_config, path, resolve_platform_schema), clock=clock
    )
    driver = await platforms.gpio.async_get_driver(gw)
    node = Button(path, gw, clock, probe, driver.factory, f"{base}/clicks", prefix)

    @callback
    def record(event: Event[ClickData]) -> None:
        node.clicks.append(event.data)

    remove = gw.bus.async_listen(EVENT_CLICK, record)
    try:
        await wait_in_sync(get_data(gw).connection)
        yield node
    finally:
        remove()
        await gw.async_stop()
        assert clock.pending() == 0  # no filter, debounce or click timer left behind
        driver.factory.reset()


async def test_discovery_announces_the_event_and_its_triggers_up_front(button: Button) -> None:
    topic = f"{button.prefix}/device/clicks/config"
    await button.probe.wait_until(lambda: topic in button.probe.latest)
    components = json.loads(button.probe.latest[topic])["cmps"]
    event = components["clicks_event_hall_button"]
    assert event["p"] == "event"
    assert event["event_types"] == ["single", "double", "long"]
    assert event["state_topic"] == f"{button.b}/event/hall_button/event"
    triggers = {
        uid: component
        for uid, component in components.items()
        if component["p"] == "device_automation"
    }
    assert triggers == {
        f"clicks_event_hall_button_{kind}": {
            "p": "device_automation",
            "automation_type": "trigger",
            "type": ha_type,
            "subtype": "Hall button",
            "topic": f"{button.b}/event/hall_button/event",
            "payload": json.dumps({"event_type": kind}, separators=(",", ":")),
            "qos": 1,
        }
        for kind, ha_type in [
            ("single", "button_short_press"),
            ("double", "button_double_press"),
            ("long", "button_long_press"),
        ]
    }
    assert button.events() == []  # nothing before the first press


async def test_bounces_are_ignored_and_held_levels_count(button: Button) -> None:
    assert button.state() == "OFF"
    await button.drive(True)
    await button.drive(False)  # a 0 ms bounce
    await button.tick(0.05)
    assert button.state() == "OFF"
    await button.drive(True)
    await button.tick(0.02)
    assert button.state() == "OFF"  # not held 30 ms yet
    await button.tick(0.02)
    assert button.state() == "ON"
    await button.probe.wait_for_value(f"{button.b}/binary_sensor/hall_button/state", "ON")


async def test_single_double_and_long(button: Button) -> None:
    await button.click()
    await button.tick(0.3)  # a single waits double_gap to be sure
    await button.click()
    await button.tick(0.1)
    await button.click()  # within double_gap: a double
    await button.drive(True)
    await button.tick(1.0)  # held past long_min: long fires while held
    assert [c["click"] for c in button.clicks] == ["single", "double", "long"]
    await button.drive(False)
    await button.tick(1.0)
    assert [c["click"] for c in button.clicks] == ["single", "double", "long"]
    assert {c["entity_id"] for c in button.clicks} == {"binary_sensor.hall_button"}
    await button.probe.wait_until(lambda: len(button.events()) == 3)
    assert [json.loads(p) for p in button.events()] == [
        {"event_type": "single"},
        {"event_type": "double"},
        {"event_type": "long"},
    ]


async def test_a_double_click_runs_the_automation(button: Button) -> None:
    assert button.gw.states.get("switch.lamp").state == "OFF"  # type: ignore[union-attr]
    await button.click()
    await button.tick(0.1)
    await button.click()
    await button.gw.async_block_till_done()
    assert button.gw.states.get("switch.lamp").state == "ON"  # type: ignore[union-attr]
    assert button.factory.pin(22).state == 1


async def test_events_are_not_retained(
    button: Button, mqtt_broker: Mosquitto, mqtt_probe_factory: Callable[..., Any]
) -> None:
    await button.click()
    await button.tick(0.5)
    await button.probe.wait_until(lambda: len(button.events()) == 1)
    late: MqttProbe = await mqtt_probe_factory(mqtt_broker.port)
    await late.subscribe(f"{button.b}/#")
    state_topic = f"{button.b}/binary_sensor/hall_button/state"
    await late.wait_until(lambda: state_topic in late.latest)  # retained ones did arrive
    assert late.values(f"{button.b}/event/hall_button/event") == []


async def test_reload_removes_and_brings_back_the_event_entity(button: Button) -> None:
    topic = f"{button.prefix}/device/clicks/config"
    text = await in_thread(button.path.read_text)
    without = "\n".join(line for line in text.splitlines() if "clicks: {" not in line) + "\n"
    await in_thread(button.path.write_text, without)
    await async_reload_from_file(button.gw)
    assert button.gw.states.get("event.hall_button") is None
    await button.probe.wait_until(
        lambda: (
            json.loads(button.probe.latest.get(topic, b"{}"))
            .get("cmps", {})
            .get("clicks_event_hall_button")
            == {"p": "event"}
        )
    )
    components = json.loads(button.probe.latest[topic])["cmps"]
    assert components["clicks_event_hall_button_double"] == {"p": "device_automation"}
    await in_thread(button.path.write_text, text)
    await async_reload_from_file(button.gw)
    assert button.gw.states.get("event.hall_button") is not None
    await button.click()
    await button.tick(0.5)
    assert [c["click"] for c in button.clicks] == ["single"]
