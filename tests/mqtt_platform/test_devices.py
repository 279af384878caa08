"""Remote devices through the real broker: a Tasmota plug, a zigbee2mqtt sensor, a JSON light,
availability, optimistic switches, unusable payloads, and removal."""

from __future__ import annotations

import json
import logging

import pytest

from gateway.const import STATE_UNAVAILABLE, STATE_UNKNOWN
from gateway.core import Gateway
from gateway.entity_component import async_get_component
from gateway.mqtt import MqttData
from tests.fixtures_mqtt import MqttProbe
from tests.mqtt.conftest import wait_in_sync
from tests.mqtt_platform.conftest import StateWaiter, entry, setup_entities, state_of


async def test_tasmota_plug_reports_and_obeys(
    gw: Gateway, mqtt_data: MqttData, probe: MqttProbe, topic: str, waiter: StateWaiter
) -> None:
    stat, cmnd = f"{topic}/stat/plug/POWER", f"{topic}/cmnd/plug/POWER"
    await probe.publish(stat, "ON", retain=True)  # the plug announced itself before we started
    await probe.subscribe(f"{topic}/cmnd/#")
    own = f"{mqtt_data.node_base}/switch/plug"
    await probe.subscribe(f"{own}/state")
    await setup_entities(gw, "switch", {"name": "Plug", "state_topic": stat, "command_topic": cmnd})
    await wait_in_sync(mqtt_data.connection)
    await waiter.wait("switch.plug", "ON")  # from the retained state
    await probe.wait_for_value(f"{own}/state", "ON")

    await gw.services.async_call("switch", "turn_off", {"entity_id": "switch.plug"})
    await probe.wait_for_value(cmnd, "OFF")
    assert state_of(gw, "switch.plug").state == "ON"  # what the plug reports, not the command
    await probe.publish(stat, "OFF")
    await waiter.wait("switch.plug", "OFF")
    await probe.wait_for_value(f"{own}/state", "OFF")

    await probe.publish(f"{own}/set", "ON")  # the gateway's own command topic
    await probe.wait_until(lambda: probe.values(cmnd) == [b"OFF", b"ON"])
    await probe.publish(stat, "ON")
    await waiter.wait("switch.plug", "ON")
    assert not any(message.retain for message in probe.messages if message.topic.value == cmnd)
    await probe.publish(stat, "", retain=True)  # clear the retained message


async def test_zigbee2mqtt_sensor_json_paths(
    gw: Gateway, mqtt_data: MqttData, probe: MqttProbe, topic: str, waiter: StateWaiter
) -> None:
    pir = f"{topic}/zigbee2mqtt/garden_pir"
    await setup_entities(
        gw,
        "binary_sensor",
        {
            "name": "Garden motion",
            "state_topic": pir,
            "value_json": "occupancy",
            "payload_on": True,
            "payload_off": False,
            "device_class": "motion",
        },
    )
    await setup_entities(
        gw,
        "sensor",
        {
            "name": "Garden temperature",
            "state_topic": pir,
            "value_json": "temperature",
            "unit_of_measurement": "°C",
            "device_class": "temperature",
            "state_class": "measurement",
            "precision": 1,
        },
        {"name": "Garden lux", "state_topic": pir, "value_json": "illuminance[1].lux"},
    )
    await wait_in_sync(mqtt_data.connection)
    assert state_of(gw, "binary_sensor.garden_motion").state == STATE_UNKNOWN
    report = {
        "occupancy": True,
        "temperature": 21.46,
        "battery": 97,
        "illuminance": [{"lux": 3}, {"lux": 41}],
    }
    await probe.publish(pir, json.dumps(report))
    await waiter.wait("binary_sensor.garden_motion", "ON", {"device_class": "motion"})
    await waiter.wait(
        "sensor.garden_temperature",
        "21.5",
        {"unit_of_measurement": "°C", "state_class": "measurement"},
    )
    await waiter.wait("sensor.garden_lux", "41")
    await probe.publish(pir, json.dumps({**report, "occupancy": False, "temperature": 20}))
    await waiter.wait("binary_sensor.garden_motion", "OFF")
    await waiter.wait("sensor.garden_temperature", "20.0")


async def test_regex_extraction(
    gw: Gateway, mqtt_data: MqttData, probe: MqttProbe, topic: str, waiter: StateWaiter
) -> None:
    await setup_entities(
        gw,
        "sensor",
        {"name": "Outdoor", "state_topic": f"{topic}/weather", "value_regex": r"T=([-0-9.]+)"},
    )
    await setup_entities(
        gw,
        "binary_sensor",
        {
            "name": "Pump running",
            "state_topic": f"{topic}/pump",
            "value_regex": r"run=(\d)",
            "payload_on": 1,
            "payload_off": 0,
        },
    )
    await wait_in_sync(mqtt_data.connection)
    await probe.publish(f"{topic}/weather", "T=-3.5 H=40")
    await waiter.wait("sensor.outdoor", "-3.5")
    await probe.publish(f"{topic}/pump", "speed=3 run=1")
    await waiter.wait("binary_sensor.pump_running", "ON")
    await probe.publish(f"{topic}/pump", "speed=0 run=0")
    await waiter.wait("binary_sensor.pump_running", "OFF")


async def test_availability_topic(
    gw: Gateway, mqtt_data: MqttData, probe: MqttProbe, topic: str, waiter: StateWaiter
) -> None:
    lwt, stat = f"{topic}/tele/plug/LWT", f"{topic}/stat/plug/POWER"
    own = f"{mqtt_data.node_base}/switch/plug/availability"
    await probe.subscribe(own)
    await setup_entities(
        gw,
        "switch",
        {
            "name": "Plug",
            "state_topic": stat,
            "command_topic": f"{topic}/cmnd/plug/POWER",
            "availability_topic": lwt,
            "payload_available": "Online",
            "payload_not_available": "Offline",
        },
    )
    await wait_in_sync(mqtt_data.connection)
    assert state_of(gw, "switch.plug").state == STATE_UNAVAILABLE  # until the device says
    await probe.publish(stat, "ON")
    await probe.publish(lwt, "Online")
    await waiter.wait("switch.plug", "ON")
    await probe.wait_for_value(own, "online")
    await probe.publish(lwt, "maybe")  # neither: ignored
    await probe.publish(lwt, "Offline")
    await waiter.wait("switch.plug", STATE_UNAVAILABLE)
    await probe.wait_for_value(own, "offline")
    assert waiter.values("switch.plug") == [STATE_UNAVAILABLE, "ON", STATE_UNAVAILABLE]


async def test_optimistic_switches(
    gw: Gateway, mqtt_data: MqttData, probe: MqttProbe, topic: str, waiter: StateWaiter
) -> None:
    siren, heater = f"{topic}/cmnd/siren", f"{topic}/heater/set"
    await probe.subscribe(f"{topic}/#")
    await setup_entities(
        gw,
        "switch",
        {"name": "Siren", "command_topic": siren, "payload_on": True, "payload_off": False},
        {
            "name": "Heater",
            "state_topic": f"{topic}/heater",
            "command_topic": heater,
            "optimistic": True,
            "retain": True,
            "qos": 0,
        },
    )
    await wait_in_sync(mqtt_data.connection)
    assert state_of(gw, "switch.siren").state == STATE_UNKNOWN
    await gw.services.async_call("switch", "turn_on", {"entity_id": "switch.siren"})
    assert state_of(gw, "switch.siren").state == "ON"  # at once: nothing will report it
    await probe.wait_for_value(siren, "true")
    await gw.services.async_call("switch", "toggle", {"entity_id": "switch.siren"})
    assert state_of(gw, "switch.siren").state == "OFF"
    await probe.wait_for_value(siren, "false")

    await gw.services.async_call("switch", "turn_on", {"entity_id": "switch.heater"})
    assert state_of(gw, "switch.heater").state == "ON"
    await probe.wait_for_value(heater, "ON")
    await probe.publish(f"{topic}/heater", "OFF")  # a report still wins
    await waiter.wait("switch.heater", "OFF")
    await probe.publish(heater, "", retain=True)  # clear the retained command


async def test_json_light(
    gw: Gateway, mqtt_data: MqttData, probe: MqttProbe, topic: str, waiter: StateWaiter
) -> None:
    lamp = f"{topic}/zigbee2mqtt/lamp"
    await probe.subscribe(f"{lamp}/set")
    await setup_entities(
        gw,
        "light",
        {
            "name": "Lamp",
            "state_topic": lamp,
            "command_topic": f"{lamp}/set",
            "brightness_scale": 254,
        },
    )
    await wait_in_sync(mqtt_data.connection)
    await probe.publish(lamp, json.dumps({"state": "ON", "brightness": 254, "linkquality": 80}))
    await waiter.wait("light.lamp", "ON", {"brightness": 255})
    await gw.services.async_call(
        "light", "turn_on", {"entity_id": "light.lamp", "brightness": 128, "transition": 2}
    )
    await probe.wait_until(lambda: bool(probe.values(f"{lamp}/set")))
    assert json.loads(probe.values(f"{lamp}/set")[0]) == {
        "state": "ON",
        "brightness": 127,
        "transition": 2.0,
    }
    assert state_of(gw, "light.lamp").attributes["brightness"] == 255  # until reported
    await probe.publish(lamp, json.dumps({"state": "ON", "brightness": 127}))
    await waiter.wait("light.lamp", "ON", {"brightness": 128})
    await gw.services.async_call("light", "turn_off", {"entity_id": "light.lamp"})
    await probe.wait_until(lambda: len(probe.values(f"{lamp}/set")) == 2)
    assert json.loads(probe.values(f"{lamp}/set")[1]) == {"state": "OFF"}
    await probe.publish(lamp, json.dumps({"state": "OFF", "brightness": 127}))
    await waiter.wait("light.lamp", "OFF", {"brightness": None})


async def test_unusable_payloads_change_nothing(
    gw: Gateway,
    mqtt_data: MqttData,
    probe: MqttProbe,
    topic: str,
    waiter: StateWaiter,
    caplog: pytest.LogCaptureFixture,
) -> None:
    await setup_entities(
        gw,
        "sensor",
        {"name": "Temp", "state_topic": f"{topic}/t", "value_json": "t", "precision": 1},
    )
    await setup_entities(gw, "binary_sensor", {"name": "Door", "state_topic": f"{topic}/door"})
    await setup_entities(
        gw, "light", {"name": "Lamp", "state_topic": f"{topic}/l", "command_topic": f"{topic}/s"}
    )
    await wait_in_sync(mqtt_data.connection)
    garbage = [b"", b"abc", b"\xff\xfe", b'{"t": "warm"}', b'{"h": 1}', b"[1,2]", b"[" * 5000]
    for payload in [*garbage, b'{"t": 21}']:
        await probe.publish(f"{topic}/t", payload)
    for payload in [*garbage, b"on", b"true", b"OFF"]:
        await probe.publish(f"{topic}/door", payload)
    for payload in [*garbage, b'{"state": "ON", "brightness": 999}', b'{"state": "ON"}']:
        await probe.publish(f"{topic}/l", payload)
    await waiter.wait("sensor.temp", "21.0")
    await waiter.wait("binary_sensor.door", "OFF")
    await waiter.wait("light.lamp", "ON")
    assert waiter.values("sensor.temp") == [STATE_UNKNOWN, "21.0"]
    assert waiter.values("binary_sensor.door") == [STATE_UNKNOWN, "OFF"]
    assert waiter.values("light.lamp") == [STATE_UNKNOWN, "ON"]
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING and "ignoring" in r.msg]
    # rate-limited: one warning per entity, the rest at debug
    assert sorted(str(r.args[0]) for r in warnings) == [  # type: ignore[index]
        "binary_sensor.door",
        "light.lamp",
        "sensor.temp",
    ]


async def test_removed_entity_unsubscribes(
    gw: Gateway, mqtt_data: MqttData, probe: MqttProbe, topic: str, waiter: StateWaiter
) -> None:
    state_topic, lwt = f"{topic}/stat/POWER", f"{topic}/LWT"
    config = {
        "name": "Plug",
        "state_topic": state_topic,
        "command_topic": f"{topic}/cmnd/POWER",
        "availability_topic": lwt,
        "expire_after": 30,
    }
    await setup_entities(gw, "switch", config)
    await wait_in_sync(mqtt_data.connection)
    assert {state_topic, lwt} <= set(mqtt_data.connection.async_filters())
    component = async_get_component(gw, "switch")
    assert component is not None
    await component.async_remove_entity("switch.plug")
    assert not {state_topic, lwt} & set(mqtt_data.connection.async_filters())
    assert gw.clock.pending() == 0  # the expiry timer went with it
    # set up again, as a reload does: subscribed afresh, state from the device
    await component.async_setup_entries([entry("switch", config)])
    await wait_in_sync(mqtt_data.connection)
    await probe.publish(lwt, "online")
    await probe.publish(state_topic, "ON")
    await waiter.wait("switch.plug", "ON")


async def test_without_an_mqtt_section_the_entity_is_not_set_up(
    gw: Gateway, caplog: pytest.LogCaptureFixture
) -> None:
    await setup_entities(gw, "sensor", {"name": "Outside", "state_topic": "weather/outside"})
    assert gw.states.get("sensor.outside") is None
    assert "platform mqtt needs the mqtt: section" in caplog.text
    caplog.clear()  # the error is the point
