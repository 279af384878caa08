"""End to end through a real mosquitto: MQTT command -> pin -> state, pin edge -> state topic."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from gpiozero.pins.mock import MockFactory

import platforms.gpio
from gateway.config.model import GpioConfig
from gateway.core import Gateway
from hardware.gpio import GpioDriver
from tests.broker import Mosquitto
from tests.fixtures_mqtt import MqttProbe
from tests.gpio.conftest import pin, setup_entities
from tests.helpers import in_thread
from tests.mqtt.conftest import (
    mqtt_config,
    setup_mqtt,
    wait_in_sync,
)


async def test_command_drives_pin_and_edge_publishes_state(
    real_gw: Gateway,
    mqtt_broker: Mosquitto,
    mqtt_probe_factory: Callable[..., Any],
    factory: MockFactory,
) -> None:
    gw = real_gw
    data = await setup_mqtt(gw, mqtt_config(mqtt_broker.port))
    driver = GpioDriver("mock", factory, blocking=False)
    await platforms.gpio.async_setup(gw, GpioConfig("mock"), driver=driver)
    await setup_entities(gw, "switch", {"name": "Relay", "pin": 22, "active_high": False})
    await setup_entities(gw, "binary_sensor", {"name": "Door", "pin": 17})
    await wait_in_sync(data.connection)
    probe: MqttProbe = await mqtt_probe_factory(mqtt_broker.port)
    await probe.subscribe(f"{data.node_base}/#")
    relay_topic = f"{data.node_base}/switch/relay"
    door_topic = f"{data.node_base}/binary_sensor/door"
    await probe.wait_for_value(f"{relay_topic}/state", "OFF")
    await probe.wait_for_value(f"{door_topic}/state", "OFF")

    await probe.publish(f"{relay_topic}/set", "ON")
    await probe.wait_for_value(f"{relay_topic}/state", "ON")
    assert pin(factory, 22).state == 0  # active low

    await in_thread(pin(factory, 17).drive_low, name="gpio-driver")
    await probe.wait_for_value(f"{door_topic}/state", "ON")
