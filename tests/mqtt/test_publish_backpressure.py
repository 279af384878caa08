"""State publishes under back-pressure while connected (issue 12, item 5), on a real broker.

A driver thread changes sensor states far faster than the socket takes them. Once paho holds
`BACKLOG_LIMIT` messages, state publishes coalesce per topic in the outbox; each topic still
sees its values in the order they happened, ends at the entity's state, and that is what a
later subscriber gets retained.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from gateway.core import Gateway
from gateway.mqtt.outgoing import BACKLOG_LIMIT
from tests.broker import Mosquitto
from tests.fixtures_mqtt import MqttProbe
from tests.helpers import in_thread

from .conftest import mqtt_config, setup_mqtt, wait_in_sync
from .entities import MemorySensor, add_entities

ProbeFactory = Callable[..., Any]
SENSORS = 5
CHANGES = 2_000  # per sensor
BATCH = 500  # changes per sensor handed to the loop at once: far more than the socket takes
FLOOD_TIMEOUT = 30.0


@pytest.mark.parametrize("retain", [True, False], ids=["retained", "not-retained"])
async def test_state_flood_coalesces_per_topic_in_order(
    real_gw: Gateway, mqtt_broker: Mosquitto, mqtt_probe_factory: ProbeFactory, retain: bool
) -> None:
    """Coalescing is per entity, not per retained topic: `retain: false` states coalesce too."""
    data = await setup_mqtt(real_gw, mqtt_config(mqtt_broker.port, retain=retain))
    b = data.node_base
    live: MqttProbe = await mqtt_probe_factory(mqtt_broker.port)
    await live.subscribe(f"{b}/sensor/+/state")
    sensors = [MemorySensor(f"flood_{i}", -1) for i in range(SENSORS)]
    await add_entities(real_gw, *sensors)
    await wait_in_sync(data.connection)
    topics = [f"{b}/sensor/flood_{i}/state" for i in range(SENSORS)]
    for topic in topics:
        await live.wait_for_value(topic, "-1")
    published_before = data.connection.async_stats().published

    def set_batch(first: int) -> None:
        for value in range(first, first + BATCH):
            for sensor in sensors:
                sensor.set(value)

    def flood() -> None:  # a driver thread handing bursts of changes to the loop
        for first in range(0, CHANGES, BATCH):
            real_gw.loop.call_soon_threadsafe(set_batch, first)

    await in_thread(flood, name="flood-driver")
    last = str(CHANGES - 1).encode()
    await live.wait_until(
        lambda: all(live.latest.get(t) == last for t in topics), FLOOD_TIMEOUT, "the last values"
    )
    await real_gw.async_block_till_done()

    for sensor, topic in zip(sensors, topics, strict=True):
        values = [int(v) for v in live.values(topic)]
        assert values == sorted(set(values)), f"{topic} out of order"
        assert real_gw.states.get(sensor.entity_id).state == str(CHANGES - 1)  # type: ignore[union-attr]
    published = data.connection.async_stats().published - published_before
    assert published < SENSORS * CHANGES // 4, "the flood was published one by one"
    stats = data.connection.async_stats()
    assert (stats.queued, stats.dropped) == (0, 0)
    if not retain:
        return
    # What the broker keeps is the entity's state.
    later: MqttProbe = await mqtt_probe_factory(mqtt_broker.port)
    await later.subscribe(f"{b}/sensor/+/state")
    for topic in topics:
        await later.wait_for_value(topic, last)
    assert all(m.retain for m in later.messages)


async def test_publishes_go_straight_to_paho_without_backpressure(
    real_gw: Gateway, mqtt_broker: Mosquitto, mqtt_probe_factory: ProbeFactory
) -> None:
    """The fast path: a few changes never touch the outbox, and QoS 1 is acknowledged."""
    data = await setup_mqtt(real_gw, mqtt_config(mqtt_broker.port))
    sensor = MemorySensor("calm", 0)
    await add_entities(real_gw, sensor)
    await wait_in_sync(data.connection)
    probe: MqttProbe = await mqtt_probe_factory(mqtt_broker.port)
    topic = f"{data.node_base}/sensor/calm/state"
    await probe.subscribe(topic)
    for value in range(1, BACKLOG_LIMIT // 4):
        sensor.set(value)
    await probe.wait_for_value(topic, str(BACKLOG_LIMIT // 4 - 1))
    assert [int(v) for v in probe.values(topic)] == list(range(BACKLOG_LIMIT // 4))
    assert data.connection.outgoing.queued == 0


async def test_stop_while_backed_up_sends_the_last_states_before_offline(
    real_gw: Gateway, mqtt_broker: Mosquitto, mqtt_probe_factory: ProbeFactory
) -> None:
    """A stop in the middle of a flood: deferred states (e.g. `on_stop`) still precede
    `offline` (a regression guard for the deferral; the old code sent everything anyway)."""
    data = await setup_mqtt(real_gw, mqtt_config(mqtt_broker.port))
    b = data.node_base
    probe: MqttProbe = await mqtt_probe_factory(mqtt_broker.port)
    await probe.subscribe(f"{b}/#")
    sensors = [MemorySensor(f"stop_{i}", -1) for i in range(SENSORS)]
    await add_entities(real_gw, *sensors)
    await wait_in_sync(data.connection)
    for value in range(BACKLOG_LIMIT):
        for sensor in sensors:
            sensor.set(value)
    assert data.connection.backed_up

    await data.connection.async_final_write()
    status = f"{b}/status"
    await probe.wait_for_value(status, "offline")
    topics = [m.topic.value for m in probe.messages]
    before_offline = {
        m.topic.value: bytes(m.payload)  # type: ignore[arg-type]
        for m in probe.messages[: len(topics) - 1 - topics[::-1].index(status)]
    }
    last = str(BACKLOG_LIMIT - 1).encode()
    assert [before_offline[f"{b}/sensor/stop_{i}/state"] for i in range(SENSORS)] == [
        last
    ] * SENSORS
