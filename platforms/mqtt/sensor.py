"""`sensor` platform `mqtt`: a reading published by a remote device.

```yaml
sensor:
  - {platform: mqtt, name: Outside, state_topic: weather/outside, value_json: temp.current,
     unit_of_measurement: "°C", device_class: temperature, state_class: measurement,
     precision: 1, expire_after: 600}
  - {platform: mqtt, name: Garden temperature, state_topic: zigbee2mqtt/garden_pir,
     value_json: temperature, unit_of_measurement: "°C"}
  - {platform: mqtt, name: Fan speed, state_topic: fan/status, value_regex: 'rpm=(\\d+)'}
```
A sensor with a unit, a state class or a precision takes numbers only; without, any text (at
most 255 characters) is a value too.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import voluptuous as vol

from gateway.config.cv import (
    SENSOR_FIELDS,
    StateClass,
    platform_schema,
    subscribe_topic,
)
from gateway.core import Gateway
from gateway.domains.sensor import SensorEntity
from gateway.entity_platform import AsyncAddEntitiesCallback
from gateway.filters import FilterSpec
from gateway.util.extract import ValueExtractor, to_state_value

from .device_payloads import extract
from .entity import MqttEntity, async_require_mqtt
from .schema import ENTITY_FIELDS, VALUE_FIELDS, MqttValueConfig, at_most_one_extractor

__all__ = ["PLATFORM_SCHEMA", "MqttSensor", "MqttSensorConfig", "async_setup_platform"]

DOMAIN = "sensor"


@dataclass(frozen=True, slots=True, kw_only=True)
class MqttSensorConfig(MqttValueConfig):
    unit_of_measurement: str | None = None
    device_class: str | None = None
    state_class: StateClass | None = None
    precision: int | None = None
    filters: tuple[FilterSpec, ...] = ()


PLATFORM_SCHEMA = platform_schema(
    MqttSensorConfig,
    {
        vol.Required("state_topic"): subscribe_topic,
        **ENTITY_FIELDS,
        **VALUE_FIELDS,
        **SENSOR_FIELDS,
    },
    at_most_one_extractor,
)


class MqttSensor(MqttEntity, SensorEntity):
    """Updates on every usable message on its `state_topic`."""

    def __init__(self, config: MqttSensorConfig) -> None:
        self._setup_mqtt(DOMAIN, config)
        self._extractor = ValueExtractor.build(config.value_regex, config.value_json)
        self._attr_unit_of_measurement = config.unit_of_measurement
        self._attr_device_class = config.device_class
        self._attr_state_class = config.state_class
        self._attr_precision = config.precision
        self._numeric = any(
            option is not None
            for option in (config.unit_of_measurement, config.state_class, config.precision)
        )

    def _async_apply(self, payload: bytes) -> None:
        self._attr_native_value = to_state_value(
            extract(self._extractor, payload),
            numeric=self._numeric,
            as_float=self._attr_precision is not None,
        )


async def async_setup_platform(
    gw: Gateway,
    config: MqttSensorConfig,
    async_add_entities: AsyncAddEntitiesCallback,
    discovery_info: Any = None,
) -> None:
    """Raises GatewayError when MQTT is not set up."""
    async_require_mqtt(gw)
    await async_add_entities([MqttSensor(config)])
