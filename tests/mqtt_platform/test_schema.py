"""The `platform: mqtt` schemas: defaults, by-value payloads, and what they refuse."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import voluptuous as vol

from gateway.config import load_config
from gateway.exceptions import ConfigError
from gateway.loader import resolve_platform_schema
from platforms.mqtt.binary_sensor import MqttBinarySensorConfig
from platforms.mqtt.light import MqttLightConfig
from platforms.mqtt.sensor import MqttSensorConfig
from platforms.mqtt.switch import MqttSwitchConfig


def validate(domain: str, **raw: Any) -> Any:
    return resolve_platform_schema(domain, "mqtt")({"platform": "mqtt", "name": "Thing", **raw})


def test_defaults() -> None:
    sensor = validate("sensor", state_topic="weather/outside", value_json="temp.current")
    assert isinstance(sensor, MqttSensorConfig)
    assert (sensor.id, sensor.qos, sensor.expire_after) == ("thing", 1, None)
    binary = validate("binary_sensor", state_topic="zigbee2mqtt/pir", value_json="occupancy")
    assert isinstance(binary, MqttBinarySensorConfig)
    assert (binary.payload_on, binary.payload_off) == ("ON", "OFF")
    assert (binary.payload_available, binary.payload_not_available) == ("online", "offline")
    switch = validate("switch", state_topic="stat/plug/POWER", command_topic="cmnd/plug/POWER")
    assert isinstance(switch, MqttSwitchConfig)
    assert (switch.is_optimistic, switch.retain) == (False, False)
    command_only = validate("switch", command_topic="cmnd/siren/POWER")
    assert command_only.is_optimistic
    light = validate("light", state_topic="z2m/lamp", command_topic="z2m/lamp/set")
    assert isinstance(light, MqttLightConfig)
    assert (light.brightness_scale, light.is_optimistic) == (255, False)


def test_payloads_keep_their_yaml_type() -> None:
    binary = validate(
        "binary_sensor", state_topic="t", payload_on=True, payload_off=False, expire_after="5m"
    )
    assert (binary.payload_on, binary.payload_off, binary.expire_after) == (True, False, 300.0)
    numbers = validate("binary_sensor", state_topic="t", payload_on=1, payload_off=0.0)
    assert (numbers.payload_on, numbers.payload_off) == (1, 0.0)


@pytest.mark.parametrize(
    ("domain", "raw", "message"),
    [
        ("sensor", {}, "required key not provided"),
        ("sensor", {"state_topic": "a/#/b"}, "# must be the last"),
        ("sensor", {"state_topic": "t", "value_json": "a", "value_regex": "a"}, "together"),
        ("sensor", {"state_topic": "t", "value_json": "a..b"}, "invalid JSON path"),
        ("sensor", {"state_topic": "t", "value_regex": "("}, "invalid regular expression"),
        ("sensor", {"state_topic": "t", "qos": 3}, "expected one of"),
        ("sensor", {"state_topic": "t", "expire_after": 0}, "longer than 0"),
        ("sensor", {"state_topic": "t", "command_topic": "c"}, "extra keys"),
        ("binary_sensor", {"state_topic": "t", "payload_on": [1]}, "expected a string"),
        ("binary_sensor", {"state_topic": "t", "payload_on": None}, "expected a string"),
        ("switch", {"state_topic": "t"}, "required key not provided"),
        ("switch", {"command_topic": "c/+"}, "cannot contain"),
        ("switch", {"command_topic": "c", "optimistic": False}, "needs a state_topic"),
        ("switch", {"command_topic": "c", "expire_after": 5}, "only works with a state_topic"),
        ("switch", {"command_topic": "c", "value_json": "state"}, "only works with a state"),
        ("light", {"command_topic": "c", "brightness_scale": 0}, "from 1 to 65535"),
        ("light", {"command_topic": "c", "value_json": "state"}, "extra keys"),
    ],
)
def test_schema_rejects(domain: str, raw: dict[str, Any], message: str) -> None:
    with pytest.raises(vol.Invalid, match=message):
        validate(domain, **raw)


def test_mqtt_device_without_mqtt_section_is_a_config_error(tmp_path: Path) -> None:
    path = tmp_path / "boardgate.yaml"
    path.write_text("sensor:\n  - {platform: mqtt, name: Outside, state_topic: weather/outside}\n")
    with pytest.raises(ConfigError) as failure:
        load_config(path, resolve_platform_schema)
    assert failure.value.errors == [
        f"{path}:2:16: sensor.0.platform: uses MQTT, but there is no mqtt: section"
    ]
