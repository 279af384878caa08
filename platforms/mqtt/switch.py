"""`switch` platform `mqtt`: a remote relay or plug (Tasmota, zigbee2mqtt, ESPHome).

```yaml
switch:
  # Tasmota: reports ON/OFF on stat/<topic>/POWER, obeys cmnd/<topic>/POWER
  - {platform: mqtt, name: Plug, state_topic: stat/plug/POWER, command_topic: cmnd/plug/POWER,
     availability_topic: tele/plug/LWT, payload_available: Online,
     payload_not_available: Offline}
  # zigbee2mqtt: JSON state, JSON commands
  - {platform: mqtt, name: Heater, state_topic: zigbee2mqtt/heater, value_json: state,
     command_topic: zigbee2mqtt/heater/set,
     payload_on: '{"state": "ON"}', payload_off: '{"state": "OFF"}',
     state_on: "ON", state_off: "OFF"}
  # no state topic: optimistic, the state is the last command
  - {platform: mqtt, name: Siren, command_topic: cmnd/siren/POWER}
```
Turning it on publishes `payload_on` to `command_topic` (QoS `qos`, retained only with
`retain: true`). With a `state_topic` the state changes when the device reports it
(compared with `state_on`/`state_off`, which default to `payload_on`/`payload_off`), unless
`optimistic: true`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import voluptuous as vol

from gateway import mqtt
from gateway.config.cv import platform_schema, string
from gateway.core import Gateway
from gateway.domains.switch import SwitchEntity
from gateway.entity_platform import AsyncAddEntitiesCallback
from gateway.util.extract import ValueExtractor

from .device_payloads import Scalar, encode, extract, extracts_text, match_on_off
from .entity import MqttEntity, async_require_mqtt
from .schema import (
    COMMAND_FIELDS,
    ENTITY_FIELDS,
    VALUE_FIELDS,
    MqttCommandConfig,
    at_most_one_extractor,
    needs_state_topic,
    optimistic_needs_state_topic,
    payload,
)

__all__ = ["PLATFORM_SCHEMA", "MqttSwitch", "MqttSwitchConfig", "async_setup_platform"]

DOMAIN = "switch"


@dataclass(frozen=True, slots=True, kw_only=True)
class MqttSwitchConfig(MqttCommandConfig):
    value_json: str | None = None
    value_regex: str | None = None
    payload_on: Scalar = "ON"
    payload_off: Scalar = "OFF"
    state_on: Scalar | None = None  # default: payload_on
    state_off: Scalar | None = None  # default: payload_off
    device_class: str | None = None


PLATFORM_SCHEMA = platform_schema(
    MqttSwitchConfig,
    {
        **COMMAND_FIELDS,
        **ENTITY_FIELDS,
        **VALUE_FIELDS,
        vol.Optional("payload_on"): payload,
        vol.Optional("payload_off"): payload,
        vol.Optional("state_on"): payload,
        vol.Optional("state_off"): payload,
        vol.Optional("device_class"): string,
    },
    at_most_one_extractor,
    optimistic_needs_state_topic,
    needs_state_topic("expire_after", "value_json", "value_regex", "state_on", "state_off"),
)


class MqttSwitch(MqttEntity, SwitchEntity):
    """Publishes commands; its state is what the device reports (or, optimistic, the last
    command)."""

    def __init__(self, config: MqttSwitchConfig) -> None:
        self._setup_mqtt(DOMAIN, config)
        self._config = config
        self._extractor = ValueExtractor.build(config.value_regex, config.value_json)
        self._state_on = config.payload_on if config.state_on is None else config.state_on
        self._state_off = config.payload_off if config.state_off is None else config.state_off
        self._from_text = extracts_text(self._extractor)
        self._optimistic = config.is_optimistic
        self._attr_device_class = config.device_class

    @property
    def optimistic(self) -> bool:
        return self._optimistic

    def _async_apply(self, payload: bytes) -> None:
        found = extract(self._extractor, payload)
        self._attr_is_on = match_on_off(
            found, self._state_on, self._state_off, from_text=self._from_text
        )

    async def async_turn_on(self, **kwargs: Any) -> None:
        self._async_publish(True)

    async def async_turn_off(self, **kwargs: Any) -> None:
        self._async_publish(False)

    def _async_publish(self, turn_on: bool) -> None:
        config = self._config
        command = config.payload_on if turn_on else config.payload_off
        mqtt.async_publish(
            self._require_gw(), config.command_topic, encode(command), config.qos, config.retain
        )
        if self._optimistic:
            self._attr_is_on = turn_on


async def async_setup_platform(
    gw: Gateway,
    config: MqttSwitchConfig,
    async_add_entities: AsyncAddEntitiesCallback,
    discovery_info: Any = None,
) -> None:
    """Raises GatewayError when MQTT is not set up."""
    async_require_mqtt(gw)
    await async_add_entities([MqttSwitch(config)])
