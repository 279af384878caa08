"""Issue 12.7: two gateways with the same client id take the session from each other.

Each connection the broker takes over (MQTT 5 reason 0x8E; mosquitto 2.0 gives none, so a
connection lost soon after it was made) keeps the backoff growing instead of resetting it, so
the two flap less and less; a hint about the shared client id is logged once per gateway.
"""

from __future__ import annotations

import asyncio
import time

import pytest

from gateway.core import Gateway
from gateway.mqtt.connection import MqttConnection
from gateway.util.backoff import Backoff
from tests.broker import Mosquitto
from tests.mqtt.conftest import mqtt_config, unique

from .conftest import figure

OBSERVE = 8.0  # seconds the two gateways share one client id
HINT = "Another MQTT client probably uses the same client_id"


@pytest.mark.parametrize("protocol", ["5", "3.1.1"])
async def test_shared_client_id_backs_off_and_hints_once(
    real_gw: Gateway,
    mqtt_broker: Mosquitto,
    caplog: pytest.LogCaptureFixture,
    protocol: str,
) -> None:
    config = mqtt_config(mqtt_broker.port, client_id=unique("bg-shared"), protocol=protocol)
    gateways = [
        MqttConnection(real_gw, config, f"{config.base_topic}/{name}/status", Backoff())
        for name in ("a", "b")
    ]
    for connection in gateways:
        connection.async_start()
    started = time.monotonic()
    try:
        await asyncio.sleep(OBSERVE)  # the observation window itself, not a wait for an event
    finally:
        for connection in gateways:
            await connection.async_final_write()
            connection.async_close()
    reconnects = [connection.async_stats().reconnects for connection in gateways]
    hints = [record for record in caplog.records if HINT in record.getMessage()]
    figure(
        f"12.7 shared client id (MQTT {protocol})",
        f"reconnects in {time.monotonic() - started:.0f} s: {reconnects}, "
        f"{len(hints)} hints logged",
    )
    # Flapping freely, each reconnects every ~0.6 s (~13 times); backing off (0.5, 1, 2,
    # 4 s, ...) leaves four or five.
    assert max(reconnects) <= 6
    assert 1 <= len(hints) <= len(gateways)
