"""Every GPIO entity kind end to end through a real mosquitto, from a full YAML config.

The gateway runs on a fake clock (pulses, fades and timed commands advance it); mock pins are
driven from real foreign threads, as gpiozero's backends do.
"""

from __future__ import annotations

import asyncio
import json
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
from gateway.core import Gateway, callback
from gateway.event import async_track_state_change
from gateway.loader import resolve_platform_schema
from gateway.mqtt import get_data
from gateway.reload import async_reload_from_file
from tests.broker import Mosquitto
from tests.fixtures_mqtt import MqttProbe
from tests.helpers import in_thread
from tests.mqtt.conftest import (
    WAIT_TIMEOUT,
    wait_in_sync,
)

CONFIG = """\
gateway: {{node_id: pins, state_dir: {state}}}
mqtt: {{port: {port}, base_topic: {base}, discovery: false}}
gpio: {{pin_factory: mock}}
switch:
  - {{platform: gpio, name: Relay, pin: 22, active_high: false, on_stop: "off"}}
light:
  - {{platform: gpio, name: Strip, pin: 18, frequency: 500}}
button:
  - {{platform: gpio, name: Gate, pin: 23, pulse: 0.5}}
binary_sensor:
  - {{platform: gpio, name: Door, pin: 17, pull_up: true}}
sensor:
  - {{platform: gpio, type: counter, name: Water, pin: 5, unit_of_measurement: L}}
"""


@dataclass
class Board:
    gw: Gateway
    clock: FakeClock
    probe: MqttProbe
    factory: Any
    b: str
    path: Path

    def pin(self, number: int) -> Any:
        return self.factory.pin(number)

    async def command(self, entity: str, payload: str) -> None:
        await self.probe.publish(f"{self.b}/{entity}/set", payload)

    async def pressed(self, entity: str) -> None:
        """Send PRESS and wait until the gateway ran it (buttons publish no state topic)."""
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        entity_id = entity.replace("/", ".")

        @callback
        def on_change(_id: str, _old: object, _new: object) -> None:
            if not done.done():
                done.set_result(None)

        remove = async_track_state_change(self.gw, entity_id, on_change)
        try:
            await self.command(entity, "PRESS")
            await asyncio.wait_for(done, WAIT_TIMEOUT)
        finally:
            remove()

    async def state(self, entity: str, payload: str) -> None:
        await self.probe.wait_for_value(f"{self.b}/{entity}/state", payload)

    def json_state(self, entity: str) -> dict[str, Any]:
        value: dict[str, Any] = json.loads(self.probe.latest[f"{self.b}/{entity}/state"])
        return value


@pytest.fixture
async def board(
    tmp_path: Path, mqtt_broker: Mosquitto, mqtt_probe_factory: Callable[..., Any]
) -> AsyncIterator[Board]:
    base = f"bgpins-{uuid.uuid4().hex[:8]}"
    path = tmp_path / "boardgate.yaml"
    text = CONFIG.format(state=tmp_path / "state", port=mqtt_broker.port, base=base)
    await in_thread(path.write_text, text)
    probe: MqttProbe = await mqtt_probe_factory(mqtt_broker.port)
    await probe.subscribe(f"{base}/#")
    clock = FakeClock()
    gw = await async_setup_gateway(
        await in_thread(load_config, path, resolve_platform_schema), clock=clock
    )
    driver = await platforms.gpio.async_get_driver(gw)
    try:
        await wait_in_sync(get_data(gw).connection)
        yield Board(gw, clock, probe, driver.factory, f"{base}/pins", path)
    finally:
        await gw.async_stop()
        driver.factory.reset()


async def test_switch_commands_and_timed_on(board: Board) -> None:
    await board.state("switch/relay", "OFF")
    assert board.pin(22).state == 1  # active-low relay: high is off
    await board.command("switch/relay", "on")
    await board.state("switch/relay", "ON")
    assert board.pin(22).state == 0
    await board.command("switch/relay", "TOGGLE")
    await board.state("switch/relay", "OFF")
    await board.command("switch/relay", '{"state": "ON", "for": 2.5}')
    await board.state("switch/relay", "ON")
    board.clock.advance(2.5)
    await board.state("switch/relay", "OFF")
    assert board.pin(22).state == 1


async def test_light_brightness_and_transition(board: Board) -> None:
    await board.command("light/strip", '{"state": "ON", "brightness": 128}')
    await board.probe.wait_until(
        lambda: b'"brightness":128' in board.probe.latest.get(f"{board.b}/light/strip/state", b"")
    )
    assert board.pin(18).state == pytest.approx(128 / 255, abs=0.01)
    await board.command("light/strip", '{"brightness": 255, "transition": 1}')
    await board.gw.async_block_till_done()
    for _ in range(55):  # a fade steps at most 50 times a second on the gateway clock
        board.clock.advance(0.02)
    await board.probe.wait_until(lambda: board.json_state("light/strip").get("brightness") == 255)
    assert board.pin(18).state == pytest.approx(1.0)
    await board.command("light/strip", "OFF")
    await board.state("light/strip", '{"state":"OFF"}')
    assert board.pin(18).state == 0


async def test_button_pulses_the_pin(board: Board) -> None:
    history = board.pin(23).states
    await board.pressed("button/gate")
    assert board.pin(23).state == 1
    board.clock.advance(0.5)
    await board.gw.async_block_till_done()
    assert board.pin(23).state == 0
    assert [state.state for state in history[-2:]] == [1, 0]


async def test_binary_sensor_and_counter_from_a_driver_thread(board: Board) -> None:
    await board.state("binary_sensor/door", "OFF")
    await in_thread(board.pin(17).drive_low, name="gpio-driver")  # contact closed to GND
    await board.state("binary_sensor/door", "ON")
    await in_thread(board.pin(17).drive_high, name="gpio-driver")
    await board.state("binary_sensor/door", "OFF")

    def three_pulses() -> None:
        for _ in range(3):
            board.pin(5).drive_high()
            board.pin(5).drive_low()

    await in_thread(three_pulses, name="gpio-driver")
    await board.state("sensor/water", "3")
    await board.gw.services.async_call(
        "sensor", "reset_counter", {"entity_id": "sensor.water", "value": 10}
    )
    await board.state("sensor/water", "10")


async def test_reload_leaves_unchanged_outputs_alone(board: Board) -> None:
    await board.command("switch/relay", "ON")
    await board.state("switch/relay", "ON")
    writes_before = len(board.pin(22).states)
    text = await in_thread(board.path.read_text)
    await in_thread(
        board.path.write_text, text.replace("name: Gate, pin: 23", "name: Gate, pin: 24")
    )
    availability = f"{board.b}/button/gate/availability"
    seen = len(board.probe.values(availability))
    plan = await async_reload_from_file(board.gw)
    assert plan.changed == ("button.gate",)
    # A client acts once the re-added entity is back online: the gateway publishes that only
    # after the broker acknowledged its new command subscription (cleared, then online again).
    await board.probe.wait_until(
        lambda: (
            board.probe.values(availability)[seen:][-1:] == [b"online"]
            and len(board.probe.values(availability)) >= seen + 2
        ),
        what="the re-added button online",
    )
    assert len(board.pin(22).states) == writes_before  # the relay's pin was not touched
    assert board.gw.states.get("switch.relay").state == "ON"  # type: ignore[union-attr]
    await board.pressed("button/gate")
    assert board.pin(24).state == 1
    board.clock.advance(0.5)
    await board.gw.async_block_till_done()


async def test_stop_puts_outputs_at_on_stop_and_publishes_offline(board: Board) -> None:
    await board.command("switch/relay", "ON")
    await board.state("switch/relay", "ON")
    history = board.pin(22).states
    on_at = len(history)
    await board.gw.async_stop()
    assert [state.state for state in history[on_at:]][:1] == [1]  # on_stop: off (active-low)
    await board.probe.wait_for_value(f"{board.b}/status", "offline")
    await board.state("switch/relay", "OFF")
