"""Fault 6: the broker restarted 10 times during 1,000 QoS 1 commands and input toggles.

The broker is persistent and stops with SIGTERM, so it keeps its promises: the gateway's
session (subscriptions, queued QoS 1 commands) survives each restart, and every command the
sender got a PUBACK for must reach the entity. (A SIGKILLed broker loses what it had accepted
but not saved; that and the retained state after a SIGKILL are covered in
tests/mqtt/test_faults.py and the second test here.) Inputs are toggled from a foreign thread
through mock pins the whole time; afterwards the retained state of every entity equals its
current state.
"""

from __future__ import annotations

import asyncio
import statistics
import threading
import time
from collections.abc import Iterator
from typing import Any

import aiomqtt
import pytest
from gpiozero.pins.mock import MockFactory

import platforms.gpio
from gateway.config.model import GpioConfig
from gateway.core import Gateway
from gateway.mqtt import MqttData
from gateway.mqtt.state_payload import state_payload
from hardware.gpio import GpioDriver
from tests.broker import Mosquitto
from tests.fixtures_mqtt import MqttProbe
from tests.gpio.conftest import setup_entities
from tests.mqtt.conftest import (
    mqtt_config,
    setup_mqtt,
    unique,
    wait_for_connection,
    wait_in_sync,
)
from tests.mqtt.entities import MemoryLight, add_entities

from .conftest import figure

COMMANDS = 1000
RESTARTS = 10
WAIT = 20.0
INPUT_PINS = (17, 27)


class CountingLight(MemoryLight):
    """Records each command's `transition` (the command's number) and signals when all came."""

    def __init__(self, object_id: str, expected: int) -> None:
        super().__init__(object_id)
        self.seen: set[int] = set()
        self.expected = expected
        self.all_seen = asyncio.Event()

    async def async_turn_on(self, **kwargs: Any) -> None:
        await super().async_turn_on(**kwargs)
        self.seen.add(int(kwargs["transition"]))
        if len(self.seen) == self.expected:
            self.all_seen.set()


class Toggler:
    """Flips input pins from a foreign thread (as a GPIO library would) until stopped."""

    def __init__(self, factory: MockFactory) -> None:
        self.pins = [factory.pin(number) for number in INPUT_PINS]
        self.toggles = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="pin-toggler")

    def _run(self) -> None:
        while not self._stop.wait(0.003):  # pacing the input, not waiting for anything
            pin = self.pins[self.toggles % len(self.pins)]
            (pin.drive_low if pin.state else pin.drive_high)()
            self.toggles += 1

    def __enter__(self) -> Toggler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


@pytest.fixture
def factory() -> Iterator[MockFactory]:
    mock = MockFactory()
    yield mock
    mock.reset()


async def _setup(gw: Gateway, broker: Mosquitto, factory: MockFactory) -> MqttData:
    data = await setup_mqtt(gw, mqtt_config(broker.port))
    driver = GpioDriver("mock", factory, blocking=False)
    await platforms.gpio.async_setup(gw, GpioConfig("mock"), driver=driver)
    await setup_entities(
        gw, "binary_sensor", *({"name": f"In {pin}", "pin": pin} for pin in INPUT_PINS)
    )
    await setup_entities(gw, "switch", {"name": "Relay", "pin": 22})
    return data


async def _send_until_acknowledged(sender: MqttProbe, topic: str, payload: str) -> None:
    """QoS 1 publish; on a broken connection reconnect (same session) and send again."""
    while True:
        if await _publish_or_disconnect(sender, topic, payload):
            return
        await sender.disconnect()
        await _reconnect(sender)


async def _publish_or_disconnect(sender: MqttProbe, topic: str, payload: str) -> bool:
    """True once acknowledged; False when the connection dropped first (a PUBACK in flight
    is then never coming, and aiomqtt would only notice at its timeout)."""
    reader = sender._reader
    assert reader is not None
    publish = asyncio.ensure_future(sender.client.publish(topic, payload, qos=1, timeout=WAIT))
    await asyncio.wait({publish, reader}, return_when=asyncio.FIRST_COMPLETED)
    if not publish.done():
        publish.cancel()
        await asyncio.gather(publish, return_exceptions=True)
        return False
    return publish.exception() is None or not isinstance(publish.exception(), aiomqtt.MqttError)


async def _reconnect(sender: MqttProbe) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + WAIT
    while True:
        try:
            await sender.connect()
            return
        except aiomqtt.MqttError:
            if loop.time() > deadline:
                raise
            await asyncio.sleep(0.02)  # the broker is restarting: retry its port


async def _assert_retained_equal_states(gw: Gateway, data: MqttData, port: int) -> None:
    await gw.async_block_till_done()  # the last pin edges handed to the loop are applied
    expected = {}
    for state in gw.states.async_all():
        payload = state_payload(state)
        assert payload is not None
        expected[f"{data.node_base}/{state.entity_id.replace('.', '/')}/state"] = payload
    async with MqttProbe(port) as probe:
        await probe.subscribe(f"{data.node_base}/+/+/state")
        await probe.wait_until(
            lambda: all(probe.latest.get(topic) == value for topic, value in expected.items()),
            WAIT,
            f"retained states {expected}",
        )


async def _restart(
    broker: Mosquitto, data: MqttData, *, kill: bool, reconnects: list[float]
) -> None:
    await (broker.async_kill() if kill else broker.async_stop())
    await wait_for_connection(data.connection, lambda conn: not conn.connected, WAIT)
    await broker.async_start()
    up = time.monotonic()
    await wait_in_sync(data.connection, WAIT)
    reconnects.append(time.monotonic() - up)


def _describe(reconnects: list[float]) -> str:
    return (
        f"median {statistics.median(reconnects) * 1000:.0f} ms, "
        f"max {max(reconnects) * 1000:.0f} ms over {len(reconnects)} restarts "
        "(from the broker accepting connections to the gateway resubscribed; "
        "includes the 0.5 s first backoff step)"
    )


async def test_no_command_lost_across_ten_broker_restarts(
    real_gw: Gateway, private_broker: Mosquitto, factory: MockFactory
) -> None:
    gw = real_gw
    data = await _setup(gw, private_broker, factory)
    light = CountingLight("dimmer", COMMANDS)
    await add_entities(gw, light)
    await wait_in_sync(data.connection)
    topic = f"{data.node_base}/light/dimmer/set"
    marks = {k * COMMANDS // RESTARTS + 50: asyncio.Event() for k in range(RESTARTS)}
    sender = MqttProbe(private_broker.port, identifier=unique("sender"), persistent=True)
    await sender.connect()

    async def send_all() -> None:
        for number in range(COMMANDS):
            if number in marks:
                marks[number].set()
            brightness = number % 255 + 1
            payload = f'{{"brightness": {brightness}, "transition": {number}}}'
            await _send_until_acknowledged(sender, topic, payload)

    reconnects: list[float] = []
    with Toggler(factory) as toggler:
        sending = asyncio.create_task(send_all())
        try:
            for mark in sorted(marks):
                await asyncio.wait_for(marks[mark].wait(), WAIT)
                await _restart(private_broker, data, kill=False, reconnects=reconnects)
            await asyncio.wait_for(sending, WAIT)
            await asyncio.wait_for(light.all_seen.wait(), WAIT)
        finally:
            sending.cancel()
            await asyncio.gather(sending, return_exceptions=True)
            await sender.disconnect()
        toggled = toggler.toggles
    await wait_in_sync(data.connection)
    await _assert_retained_equal_states(gw, data, private_broker.port)
    assert light.seen == set(range(COMMANDS))
    assert toggled > 100, "the inputs hardly moved during the restarts"
    assert data.connection.async_stats().reconnects == RESTARTS
    figure(
        "6. broker SIGTERM x10, 1,000 QoS 1 commands", f"0 lost; reconnect {_describe(reconnects)}"
    )
    figure("6. input toggles during the restarts", str(toggled))


async def test_retained_states_right_after_ten_broker_kills(
    real_gw: Gateway, private_broker: Mosquitto, factory: MockFactory
) -> None:
    """SIGKILL loses the broker's retained messages: each reconnect republishes every state."""
    gw = real_gw
    data = await _setup(gw, private_broker, factory)
    await wait_in_sync(data.connection)
    reconnects: list[float] = []
    with Toggler(factory):
        for _ in range(RESTARTS):
            await _restart(private_broker, data, kill=True, reconnects=reconnects)
    await _assert_retained_equal_states(gw, data, private_broker.port)
    assert data.connection.async_stats().reconnects == RESTARTS
    figure("6. broker SIGKILL x10 while inputs toggle", f"reconnect {_describe(reconnects)}")
