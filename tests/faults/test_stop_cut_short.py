"""A stop whose final write runs out of time must still leave `offline` retained.

When the goodbye cannot finish (a loaded board, a flood in paho's in-flight window), the
connection task is cancelled. aiomqtt would then send a clean DISCONNECT, which tells the broker
to discard the will: `online` stayed retained for a gateway that was gone (seen under load in
the state-flood fault test). The connection is dropped instead, and the broker sends the will.
"""

from __future__ import annotations

from gateway.core import Gateway
from tests.broker import Mosquitto
from tests.fixtures_mqtt import MqttProbe
from tests.mqtt.conftest import mqtt_config, setup_mqtt, wait_for_connection, wait_in_sync

SETTLE = 10.0


async def test_a_cancelled_goodbye_leaves_the_will_offline(
    real_gw: Gateway, private_broker: Mosquitto
) -> None:
    config = mqtt_config(private_broker.port)
    data = await setup_mqtt(real_gw, config)
    connection = data.connection
    await wait_in_sync(connection)
    status = connection.status_topic
    async with MqttProbe(private_broker.port) as probe:
        await probe.subscribe(status)
        await probe.wait_until(lambda: probe.latest.get(status) == b"online", SETTLE)
        connection.async_close()  # out of time: no final write, the task is cancelled
        await wait_for_connection(connection, lambda conn: not conn.connected)
        await probe.wait_until(lambda: probe.latest.get(status) == b"offline", SETTLE)
