"""Click events made while the broker is away are each delivered, in order, once it is back.

DESIGN: while disconnected, states coalesce to their latest value, and every other message goes
to a bounded FIFO. An event is not a state: a double click followed by a single must arrive as
two events, not as the last one (or none, as before).
"""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import aiomqtt

import platforms.gpio
from gateway.bootstrap import async_setup_gateway
from gateway.clock import FakeClock
from gateway.config import load_config
from gateway.loader import resolve_platform_schema
from gateway.mqtt import async_get_stats, get_data
from tests.broker import Mosquitto
from tests.helpers import in_thread
from tests.mqtt.conftest import wait_for_connection, wait_in_sync

from .test_clicks_over_mqtt import CONFIG, Button

SETTLE = 10.0


def _listener(port: int, client_id: str) -> aiomqtt.Client:
    """A persistent session: the broker keeps its QoS 1 messages while it is away."""
    return aiomqtt.Client(
        "127.0.0.1",
        port,
        identifier=client_id,
        clean_session=False,
        protocol=aiomqtt.ProtocolVersion.V311,
    )


async def test_events_made_while_disconnected_arrive_each_in_order(
    tmp_path: Path, private_broker: Mosquitto
) -> None:
    base, prefix = f"bgaway-{uuid.uuid4().hex[:8]}", f"ha-{uuid.uuid4().hex[:8]}"
    path = tmp_path / "boardgate.yaml"
    text = CONFIG.format(
        state=tmp_path / "state", port=private_broker.port, base=base, prefix=prefix
    )
    await in_thread(path.write_text, text)
    topic = f"{base}/clicks/event/hall_button/event"
    listener = f"listener-{uuid.uuid4().hex[:8]}"
    async with _listener(private_broker.port, listener) as client:
        await client.subscribe(topic, qos=1)  # then it leaves; the broker keeps the session

    clock = FakeClock()
    gw = await async_setup_gateway(
        await in_thread(load_config, path, resolve_platform_schema), clock=clock
    )
    driver = await platforms.gpio.async_get_driver(gw)
    button = Button(path, gw, clock, None, driver.factory, f"{base}/clicks", prefix)  # type: ignore[arg-type]
    connection = get_data(gw).connection
    try:
        await wait_in_sync(connection)
        await private_broker.async_stop()  # persistence keeps the listener's session
        await wait_for_connection(connection, lambda conn: not conn.connected)
        queued_before = async_get_stats(gw).queued
        await button.click()
        await button.tick(0.1)
        await button.click()  # a double
        await button.tick(0.5)
        await button.click()
        await button.tick(0.5)  # then a single
        assert async_get_stats(gw).queued - queued_before == 2  # each queued, not coalesced
        await private_broker.async_start()
        await button.tick(31)  # the reconnect backoff runs on the fake clock too
        await wait_in_sync(connection)
        await wait_for_connection(connection, lambda conn: async_get_stats(gw).queued == 0)
    finally:
        await gw.async_stop()
        driver.factory.reset()

    received: list[bytes] = []
    async with _listener(private_broker.port, listener) as client:
        async for message in client.messages:
            assert isinstance(message.payload, bytes)
            received.append(message.payload)
            if len(received) == 2:
                break
    assert [json.loads(payload) for payload in received] == [
        {"event_type": "double"},
        {"event_type": "single"},
    ]
