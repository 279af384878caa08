"""Fixtures for the MQTT suite: a gateway on the real clock, MQTT set up against a broker."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from gateway.config.model import CoreConfig, MqttConfig
from gateway.core import Gateway
from gateway.mqtt import MqttData, async_setup, get_data
from gateway.mqtt.connection import MqttConnection

WAIT_TIMEOUT = 20.0


def unique(prefix: str) -> str:
    """A name no other test (or earlier run against the same broker) uses."""
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def mqtt_config(port: int, **overrides: Any) -> MqttConfig:
    fields: dict[str, Any] = {
        "host": "127.0.0.1",
        "port": port,
        "client_id": unique("bg-test"),
        "base_topic": unique("bg"),
        "keepalive": 5,
    }
    fields.update(overrides)
    return MqttConfig(**fields)


def core_config(node_id: str = "node") -> CoreConfig:
    return CoreConfig(node_id=node_id, name="Test node", state_dir=Path("/nonexistent"))


async def setup_mqtt(gw: Gateway, config: MqttConfig, node_id: str = "node") -> MqttData:
    await async_setup(gw, config, core_config(node_id))
    return get_data(gw)


async def wait_for_connection(
    connection: MqttConnection,
    predicate: Callable[[MqttConnection], bool],
    timeout: float = WAIT_TIMEOUT,
) -> None:
    """Wait until `predicate(connection)` holds, re-checked on each connection change."""
    if predicate(connection):
        return
    future: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    def check() -> None:
        if not future.done() and predicate(connection):
            future.set_result(None)

    remove = connection.async_add_listener(check)
    try:
        await asyncio.wait_for(future, timeout)
    finally:
        remove()


async def wait_in_sync(connection: MqttConnection, timeout: float = WAIT_TIMEOUT) -> None:
    """Connected, resubscribed, and every subscription acknowledged by the broker."""
    await wait_for_connection(connection, lambda conn: conn.in_sync, timeout)
