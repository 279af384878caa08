"""`expire_after` on the gateway's fake clock: unavailable when the device falls silent."""

from __future__ import annotations

from gateway.clock import FakeClock
from gateway.const import STATE_UNAVAILABLE, STATE_UNKNOWN
from gateway.core import Gateway
from gateway.mqtt import MqttData
from tests.fixtures_mqtt import MqttProbe
from tests.mqtt.conftest import wait_in_sync
from tests.mqtt_platform.conftest import StateWaiter, setup_entities, state_of


async def test_sensor_expires_and_comes_back(
    gw: Gateway,
    clock: FakeClock,
    mqtt_data: MqttData,
    probe: MqttProbe,
    topic: str,
    waiter: StateWaiter,
) -> None:
    own = f"{mqtt_data.node_base}/sensor/outside/availability"
    await probe.subscribe(own)
    await setup_entities(
        gw,
        "sensor",
        {"name": "Outside", "state_topic": topic, "value_json": "t", "expire_after": 60},
    )
    await wait_in_sync(mqtt_data.connection)
    await probe.publish(topic, '{"t": 4}')
    await waiter.wait("sensor.outside", "4")
    clock.advance(50)
    await probe.publish(topic, '{"t": 5}')  # a fresh report restarts the countdown
    await waiter.wait("sensor.outside", "5")
    clock.advance(50)
    assert state_of(gw, "sensor.outside").state == "5"
    await probe.publish(topic, "garbage")  # an unusable payload does not
    await probe.publish(topic, "garbage")
    clock.advance(10)
    assert state_of(gw, "sensor.outside").state == STATE_UNAVAILABLE
    await probe.wait_for_value(own, "offline")
    await probe.publish(topic, '{"t": 6}')
    await waiter.wait("sensor.outside", "6")
    await probe.wait_for_value(own, "online")
    assert waiter.values("sensor.outside") == [STATE_UNKNOWN, "4", "5", STATE_UNAVAILABLE, "6"]


async def test_silent_from_the_start_expires(
    gw: Gateway, clock: FakeClock, mqtt_data: MqttData, topic: str
) -> None:
    await setup_entities(
        gw, "binary_sensor", {"name": "Door", "state_topic": topic, "expire_after": "2m"}
    )
    clock.advance(119)
    assert state_of(gw, "binary_sensor.door").state == STATE_UNKNOWN
    clock.advance(1)
    assert state_of(gw, "binary_sensor.door").state == STATE_UNAVAILABLE


async def test_expiry_and_availability_together(
    gw: Gateway,
    clock: FakeClock,
    mqtt_data: MqttData,
    probe: MqttProbe,
    topic: str,
    waiter: StateWaiter,
) -> None:
    """Available only while the device says online *and* its reports are fresh."""
    await setup_entities(
        gw,
        "switch",
        {
            "name": "Plug",
            "state_topic": f"{topic}/POWER",
            "command_topic": f"{topic}/cmnd",
            "availability_topic": f"{topic}/LWT",
            "expire_after": 30,
        },
    )
    await wait_in_sync(mqtt_data.connection)
    await probe.publish(f"{topic}/LWT", "online")
    await probe.publish(f"{topic}/POWER", "ON")
    await waiter.wait("switch.plug", "ON")
    clock.advance(30)
    assert state_of(gw, "switch.plug").state == STATE_UNAVAILABLE
    await probe.publish(f"{topic}/LWT", "offline")
    await probe.publish(f"{topic}/POWER", "OFF")  # fresh, but the device says offline
    await probe.publish(f"{topic}/LWT", "online")
    await waiter.wait("switch.plug", "OFF")
    assert waiter.values("switch.plug") == [
        STATE_UNAVAILABLE,
        STATE_UNKNOWN,
        "ON",
        STATE_UNAVAILABLE,
        "OFF",
    ]
