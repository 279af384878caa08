"""The serial bridge over a real mosquitto: `<b>/serial/<id>/rx` out, `.../tx` in."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from gateway.core import Gateway
from platforms import serial as serial_component
from platforms.serial.mqtt_bridge import bridge_topics
from tests.broker import Mosquitto
from tests.fixtures_mqtt import MqttProbe
from tests.mqtt.conftest import mqtt_config, setup_mqtt, wait_in_sync
from tests.serial.conftest import PtyDevice, port_config

pytestmark = pytest.mark.timeout(60)

WAIT_TIMEOUT = 20.0
BURST = 5000
ProbeFactory = Callable[..., Any]


async def test_bridge_over_mqtt(
    device: PtyDevice,
    real_gw: Gateway,
    mqtt_broker: Mosquitto,
    mqtt_probe_factory: ProbeFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    data = await setup_mqtt(real_gw, mqtt_config(mqtt_broker.port))
    rx, tx = bridge_topics(data.node_base, "dev")
    probe: MqttProbe = await mqtt_probe_factory(mqtt_broker.port)
    # A retained command left on the broker must not be written at start-up.
    await probe.publish(tx, "stale", retain=True)
    await probe.subscribe(rx)
    await serial_component.async_setup(real_gw, (port_config(device, bridge=True, qos=1),))
    await wait_in_sync(data.connection, WAIT_TIMEOUT)

    await device.write(b"hello\r\nw\xf6rld\n")
    await probe.wait_until(lambda: len(probe.values(rx)) == 2, WAIT_TIMEOUT, "two rx frames")
    assert probe.values(rx) == [b"hello", "w\ufffdrld".encode()]
    assert all(not message.retain and message.qos == 1 for message in probe.messages)

    for index in range(50):
        await probe.publish(tx, f"cmd {index}")
    expected = b"".join(b"cmd %d\n" % index for index in range(50))
    await device.wait_received(lambda got: len(got) >= len(expected), "tx payloads")
    assert bytes(device.received) == expected  # in order, and "stale" was not written
    bridge = real_gw.data[serial_component.DATA_SERIAL].bridges["dev"]
    assert bridge.stats.retained_ignored == 1
    assert "Ignoring a retained message" in caplog.text


async def test_bridge_is_skipped_without_mqtt(
    device: PtyDevice, real_gw: Gateway, caplog: pytest.LogCaptureFixture
) -> None:
    await serial_component.async_setup(real_gw, (port_config(device, bridge=True),))
    assert "bridge not started: MQTT is not set up" in caplog.text
    assert serial_component.async_get_manager(real_gw, "dev").available


async def test_a_burst_larger_than_every_queue_arrives_whole_and_in_order(
    device: PtyDevice,
    real_gw: Gateway,
    mqtt_broker: Mosquitto,
    mqtt_probe_factory: ProbeFactory,
) -> None:
    """The port is read only as fast as the connection takes frames: a burst ten times the
    outbox loses nothing (the outbox would drop the oldest; paho would grow without bound)."""
    data = await setup_mqtt(real_gw, mqtt_config(mqtt_broker.port, outbox_size=BURST // 10))
    rx, _tx = bridge_topics(data.node_base, "dev")
    probe: MqttProbe = await mqtt_probe_factory(mqtt_broker.port)
    await probe.subscribe(rx)
    await serial_component.async_setup(real_gw, (port_config(device, bridge=True, qos=1),))
    await wait_in_sync(data.connection, WAIT_TIMEOUT)

    await device.write(b"".join(b"f%05d\n" % index for index in range(BURST)))
    await probe.wait_until(lambda: len(probe.values(rx)) == BURST, WAIT_TIMEOUT, "every frame")
    assert probe.values(rx) == [b"f%05d" % index for index in range(BURST)]
    assert data.connection.async_stats().dropped == 0
