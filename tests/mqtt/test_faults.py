"""Broker faults: killed and restarted while inputs change and while commands are sent."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import aiomqtt

from gateway.clock import FakeClock
from gateway.core import Gateway
from tests.broker import Mosquitto
from tests.fixtures_mqtt import MqttProbe

from .conftest import mqtt_config, setup_mqtt, unique, wait_for_connection, wait_in_sync
from .entities import MemoryBinarySensor, MemoryLight, add_entities

ProbeFactory = Callable[..., Any]
WAIT = 20.0


async def test_broker_killed_while_an_input_toggles(
    real_gw: Gateway, private_broker: Mosquitto, mqtt_probe_factory: ProbeFactory
) -> None:
    """After a SIGKILL (retained messages lost) the retained state equals the entity's."""
    data = await setup_mqtt(real_gw, mqtt_config(private_broker.port))
    door = MemoryBinarySensor("door")
    await add_entities(real_gw, door)
    await wait_in_sync(data.connection)
    toggles = 0
    stop = asyncio.Event()

    async def toggle() -> None:
        nonlocal toggles
        while not stop.is_set():
            door.set(not door.is_on)
            toggles += 1
            await asyncio.sleep(0.002)  # pacing the input, not waiting for anything

    toggler = asyncio.create_task(toggle())
    try:
        await private_broker.async_kill()
        await wait_for_connection(data.connection, lambda conn: not conn.connected)
        kills_at = toggles
        await private_broker.async_start()
        await wait_in_sync(data.connection)
        assert toggles > kills_at  # the input kept changing while the broker was away
    finally:
        stop.set()
        await toggler
    door.set(not door.is_on)  # one last change after the reconnect, published live
    expected = "ON" if door.is_on else "OFF"
    probe: MqttProbe = await mqtt_probe_factory(private_broker.port)
    state_topic = f"{data.node_base}/binary_sensor/door/state"
    await probe.subscribe(state_topic)
    await probe.wait_for_value(state_topic, expected)
    assert probe.messages[0].retain
    assert data.connection.async_stats().reconnects == 1


async def test_no_qos1_command_is_lost_across_a_broker_restart(
    gw: Gateway, clock: FakeClock, private_broker: Mosquitto
) -> None:
    """Commands go on while the broker restarts: every one reaches the entity.

    The broker stops with SIGTERM and saves its persistence file, so the gateway's session
    (subscriptions and queued messages) survives. The gateway's reconnect waits for its (fake)
    clock, so commands 40-80 are certainly sent while it is away and must come from its
    session. The sender retries what was not acknowledged; QoS 1 may deliver twice, so the
    entity must have seen each command at least once.
    """
    data = await setup_mqtt(gw, mqtt_config(private_broker.port))
    light = MemoryLight("dimmer")
    await add_entities(gw, light)
    await wait_in_sync(data.connection)
    topic = f"{data.node_base}/light/dimmer/set"
    levels = list(range(1, 121))
    reached = {40: asyncio.Event(), 80: asyncio.Event()}
    sender = MqttProbe(private_broker.port, identifier=unique("sender"), persistent=True)
    await sender.connect()

    async def send_all() -> None:
        for level in levels:
            if level in reached:
                reached[level].set()
                await asyncio.sleep(0)  # let the test act at this point
            await _publish_until_acknowledged(sender, topic, f'{{"brightness": {level}}}')

    sending = asyncio.create_task(send_all())
    try:
        await asyncio.wait_for(reached[40].wait(), WAIT)
        await private_broker.async_stop()
        await wait_for_connection(data.connection, lambda conn: not conn.connected)
        await private_broker.async_start()
        await asyncio.wait_for(reached[80].wait(), WAIT)
        assert not data.connection.connected  # these commands wait in the broker's session
        clock.advance(60)  # now the gateway may reconnect
        await asyncio.wait_for(sending, WAIT)
    finally:
        sending.cancel()
        await asyncio.gather(sending, return_exceptions=True)
        await sender.disconnect()
    await wait_in_sync(data.connection)
    async with MqttProbe(private_broker.port) as probe:
        state_topic = f"{data.node_base}/light/dimmer/state"
        await probe.subscribe(state_topic)
        await probe.wait_for_value(state_topic, '{"state":"ON","brightness":120}')
    seen = [kwargs["brightness"] for _, kwargs in light.calls]
    assert set(seen) == set(levels), f"lost: {sorted(set(levels) - set(seen))}"
    assert data.connection.async_stats().reconnects == 1


async def _publish_until_acknowledged(sender: MqttProbe, topic: str, payload: str) -> None:
    """Publish at QoS 1; on a broken connection reconnect (same session) and send again."""
    while True:
        try:
            await sender.client.publish(topic, payload, qos=1, timeout=5)
            return
        except aiomqtt.MqttError:
            await sender.disconnect()
            await _reconnect(sender)


async def _reconnect(sender: MqttProbe) -> None:
    deadline = asyncio.get_running_loop().time() + 20
    while True:
        try:
            await sender.connect()
            return
        except aiomqtt.MqttError:
            if asyncio.get_running_loop().time() > deadline:
                raise
            await asyncio.sleep(0.05)  # the broker is restarting: retry its port
