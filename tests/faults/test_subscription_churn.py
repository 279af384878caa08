"""Issue 12, item 3: subscriptions removed while their SUBSCRIBE is still queued (a reload).

The subscription sync task sends filters in batches (3.1.1) or windows of SUBSCRIBE packets (5)
and awaits the SUBACKs in between. Entities removed meanwhile (a reload, rapid churn) used to
raise `KeyError` in that task ("Task exception was never retrieved") and the filters queued
after them were never sent: commands to entities that do exist went unheard.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import aiomqtt
import pytest

from gateway.core import Gateway, callback
from gateway.mqtt import ReceiveMessage, async_subscribe
from gateway.mqtt.subscriber import SUBSCRIBE_BATCH, SUBSCRIBE_WINDOW
from tests.broker import Mosquitto
from tests.fixtures_mqtt import MqttProbe
from tests.mqtt.conftest import mqtt_config, setup_mqtt, unique, wait_in_sync

from .conftest import figure

PROTOCOLS = {"5": aiomqtt.ProtocolVersion.V5, "3.1.1": aiomqtt.ProtocolVersion.V311}
ROUNDS = 3
DELIVERY_TIMEOUT = 5.0
ProbeFactory = Callable[..., Any]


@pytest.mark.parametrize("protocol", ["5", "3.1.1"])
async def test_filters_removed_while_their_subscribe_is_queued(
    real_gw: Gateway, mqtt_broker: Mosquitto, mqtt_probe_factory: ProbeFactory, protocol: str
) -> None:
    data = await setup_mqtt(real_gw, mqtt_config(mqtt_broker.port, protocol=protocol))
    await wait_in_sync(data.connection)
    probe: MqttProbe = await mqtt_probe_factory(mqtt_broker.port, protocol=PROTOCOLS[protocol])
    base = unique("churn")
    size = SUBSCRIBE_WINDOW if protocol == "5" else SUBSCRIBE_BATCH
    received: list[str] = []
    arrived = asyncio.Event()

    @callback
    def record(message: ReceiveMessage) -> None:
        received.append(message.topic)
        arrived.set()

    kept: list[str] = []
    for round_ in range(ROUNDS):
        # One burst, sent in this order: a batch kept, a batch removed at once, a batch kept.
        first = [f"{base}/{round_}/a{i}" for i in range(size)]
        dropped = [f"{base}/{round_}/drop{i}" for i in range(size)]
        last = [f"{base}/{round_}/b{i}" for i in range(size)]
        for topic in first:
            async_subscribe(real_gw, topic, record)
        removers = [async_subscribe(real_gw, topic, record) for topic in dropped]
        for topic in last:
            async_subscribe(real_gw, topic, record)
        # One turn of the loop: the sync task has sent the first batch and awaits its SUBACKs.
        await asyncio.sleep(0)
        for remove in removers:
            remove()
        await wait_in_sync(data.connection)
        kept += first + last
        for topic in dropped:
            await probe.publish(topic, "removed: must not arrive")

    marker = kept[-1]
    for topic in kept:
        await probe.publish(topic, "kept")
    missing = await _wait_for_all(received, arrived, set(kept))
    figure(
        f"12.3 subscriptions churned ({protocol})",
        f"{len(kept) - len(missing)} of {len(kept)} kept filters deliver",
    )
    assert not missing, f"{len(missing)} kept filters not subscribed, e.g. {sorted(missing)[:3]}"
    assert received[-1] == marker or marker in received
    assert not [topic for topic in received if "/drop" in topic]


async def _wait_for_all(received: list[str], arrived: asyncio.Event, wanted: set[str]) -> set[str]:
    """The wanted topics still missing when all arrived or DELIVERY_TIMEOUT passed."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + DELIVERY_TIMEOUT
    while missing := wanted - set(received):
        arrived.clear()
        try:
            await asyncio.wait_for(arrived.wait(), deadline - loop.time())
        except TimeoutError:
            return missing
    return missing
