"""`binary_sensor` platform `mqtt`: an on/off input published by a remote device.

```yaml
binary_sensor:
  - {platform: mqtt, name: Garden motion, state_topic: zigbee2mqtt/garden_pir,
     value_json: occupancy, payload_on: true, payload_off: false, device_class: motion}
  - {platform: mqtt, name: Door, state_topic: home/door, payload_on: OPEN, payload_off: CLOSED,
     availability_topic: home/door/status, expire_after: 3600}
```
The extracted value is compared with `payload_on`/`payload_off` by value (defaults `ON`/`OFF`);
anything else leaves the state as it was.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import voluptuous as vol

from gateway.config.behaviour_fields import BINARY_SENSOR_BEHAVIOUR_FIELDS
from gateway.config.cv import platform_schema, string, subscribe_topic
from gateway.core import Gateway
from gateway.domains.binary_sensor import BinarySensorEntity
from gateway.entity_platform import AsyncAddEntitiesCallback
from gateway.input_patterns import ClickConfig
from gateway.util.extract import ValueExtractor

from .device_payloads import Scalar, extract, extracts_text, match_on_off
from .entity import MqttEntity, async_require_mqtt
from .schema import ENTITY_FIELDS, VALUE_FIELDS, MqttValueConfig, at_most_one_extractor, payload

__all__ = [
    "PLATFORM_SCHEMA",
    "MqttBinarySensor",
    "MqttBinarySensorConfig",
    "async_setup_platform",
]

DOMAIN = "binary_sensor"


@dataclass(frozen=True, slots=True, kw_only=True)
class MqttBinarySensorConfig(MqttValueConfig):
    payload_on: Scalar = "ON"
    payload_off: Scalar = "OFF"
    device_class: str | None = None
    delayed_on: float = 0.0
    delayed_off: float = 0.0
    clicks: ClickConfig | None = None


PLATFORM_SCHEMA = platform_schema(
    MqttBinarySensorConfig,
    {
        vol.Required("state_topic"): subscribe_topic,
        **ENTITY_FIELDS,
        **VALUE_FIELDS,
        vol.Optional("payload_on"): payload,
        vol.Optional("payload_off"): payload,
        vol.Optional("device_class"): string,
        **BINARY_SENSOR_BEHAVIOUR_FIELDS,
    },
    at_most_one_extractor,
)


class MqttBinarySensor(MqttEntity, BinarySensorEntity):
    """On or off as the device last reported; unknown until it reports."""

    def __init__(self, config: MqttBinarySensorConfig) -> None:
        self._setup_mqtt(DOMAIN, config)
        self._extractor = ValueExtractor.build(config.value_regex, config.value_json)
        self._on = config.payload_on
        self._off = config.payload_off
        self._from_text = extracts_text(self._extractor)
        self._attr_device_class = config.device_class

    def _async_apply(self, payload: bytes) -> None:
        found = extract(self._extractor, payload)
        self._attr_is_on = match_on_off(found, self._on, self._off, from_text=self._from_text)


async def async_setup_platform(
    gw: Gateway,
    config: MqttBinarySensorConfig,
    async_add_entities: AsyncAddEntitiesCallback,
    discovery_info: Any = None,
) -> None:
    """Raises GatewayError when MQTT is not set up."""
    async_require_mqtt(gw)
    await async_add_entities([MqttBinarySensor(config)])
